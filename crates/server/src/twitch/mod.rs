//! Twitch: the token vault, OAuth, EventSub over WebSocket and Helix.
//! Base URLs are settings (`TWITCH_AUTH_URL`, `TWITCH_API_URL`, `TWITCH_EVENTSUB_URL`)
//! so the whole integration runs against the local fake Twitch in tests and demos.

pub mod vault;
