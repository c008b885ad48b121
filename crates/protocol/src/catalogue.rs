//! The event catalogue: every event type Landale knows, declared once, with where it
//! comes from, whether the activity log keeps it, and (for Twitch) the EventSub
//! subscription that delivers it. The pipeline, the store and the EventSub client
//! all read this table; a type from no known family is refused by the pipeline
//! instead of being labelled Twitch.
//!
//! Types Twitch adds later arrive through `POST /api/eventsub` without a release: a
//! name in a Twitch family (`channel.*`, `stream.*`, `user.*`, …) is accepted as
//! Twitch's, and stored when its family is one the activity log keeps.

use crate::event::Source;

/// One event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    pub name: &'static str,
    pub source: Source,
    /// Kept in the activity log (`events` table).
    pub storable: bool,
    /// The EventSub subscription Landale creates for it, if any.
    pub eventsub: Option<Subscription>,
}

/// An EventSub subscription: its version, the scope the token needs (without it the
/// type is skipped), and the shape of its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    pub version: &'static str,
    pub scope: Option<&'static str>,
    pub condition: Condition,
}

/// Which ids an EventSub condition names (all are the signed-in user's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `broadcaster_user_id`
    Broadcaster,
    /// `broadcaster_user_id` and `moderator_user_id`
    Moderator,
    /// `broadcaster_user_id` and `user_id` (chat types)
    User,
    /// `user_id` alone (`user.update`)
    UserOnly,
    /// `to_broadcaster_user_id` (raids into the channel)
    RaidTo,
}

const fn twitch(
    name: &'static str,
    version: &'static str,
    scope: Option<&'static str>,
    condition: Condition,
) -> EventType {
    EventType {
        name,
        source: Source::Twitch,
        storable: true,
        eventsub: Some(Subscription {
            version,
            scope,
            condition,
        }),
    }
}

const fn hub(name: &'static str, source: Source, storable: bool) -> EventType {
    EventType {
        name,
        source,
        storable,
        eventsub: None,
    }
}

use Condition::*;
use Source::{Ironmon, Obs, Rainwave, Seed, Stream, System, Twitch};

/// Every known type. EventSub subscriptions are created in this order: the
/// critical ones (follows, subs, cheers, raids, chat) first. Departure: the chat moderation types need `user:read:chat`, as Twitch's
/// EventSub reference says (the original gated them on `moderator:read:chat_settings`).
pub const CATALOGUE: &[EventType] = &[
    twitch("stream.online", "1", None, Broadcaster),
    twitch("stream.offline", "1", None, Broadcaster),
    twitch("channel.update", "2", None, Broadcaster),
    twitch(
        "channel.follow",
        "2",
        Some("moderator:read:followers"),
        Moderator,
    ),
    twitch("channel.chat.message", "1", Some("user:read:chat"), User),
    twitch("channel.raid", "1", None, RaidTo),
    twitch("user.update", "1", None, UserOnly),
    twitch(
        "channel.subscribe",
        "1",
        Some("channel:read:subscriptions"),
        Broadcaster,
    ),
    twitch(
        "channel.subscription.end",
        "1",
        Some("channel:read:subscriptions"),
        Broadcaster,
    ),
    twitch(
        "channel.subscription.gift",
        "1",
        Some("channel:read:subscriptions"),
        Broadcaster,
    ),
    twitch(
        "channel.subscription.message",
        "1",
        Some("channel:read:subscriptions"),
        Broadcaster,
    ),
    twitch("channel.cheer", "1", Some("bits:read"), Broadcaster),
    twitch("channel.chat.clear", "1", Some("user:read:chat"), User),
    twitch(
        "channel.chat.clear_user_messages",
        "1",
        Some("user:read:chat"),
        User,
    ),
    twitch(
        "channel.chat.message_delete",
        "1",
        Some("user:read:chat"),
        User,
    ),
    twitch(
        "channel.chat_settings.update",
        "1",
        Some("user:read:chat"),
        User,
    ),
    twitch(
        "channel.chat.notification",
        "1",
        Some("user:read:chat"),
        User,
    ),
    twitch(
        "channel.channel_points_custom_reward.add",
        "1",
        Some("channel:read:redemptions"),
        Broadcaster,
    ),
    twitch(
        "channel.channel_points_custom_reward.update",
        "1",
        Some("channel:read:redemptions"),
        Broadcaster,
    ),
    twitch(
        "channel.channel_points_custom_reward.remove",
        "1",
        Some("channel:read:redemptions"),
        Broadcaster,
    ),
    twitch(
        "channel.channel_points_custom_reward_redemption.add",
        "1",
        Some("channel:read:redemptions"),
        Broadcaster,
    ),
    twitch(
        "channel.channel_points_custom_reward_redemption.update",
        "1",
        Some("channel:read:redemptions"),
        Broadcaster,
    ),
    twitch(
        "channel.poll.begin",
        "1",
        Some("channel:read:polls"),
        Broadcaster,
    ),
    twitch(
        "channel.poll.progress",
        "1",
        Some("channel:read:polls"),
        Broadcaster,
    ),
    twitch(
        "channel.poll.end",
        "1",
        Some("channel:read:polls"),
        Broadcaster,
    ),
    twitch(
        "channel.prediction.begin",
        "1",
        Some("channel:read:predictions"),
        Broadcaster,
    ),
    twitch(
        "channel.prediction.progress",
        "1",
        Some("channel:read:predictions"),
        Broadcaster,
    ),
    twitch(
        "channel.prediction.lock",
        "1",
        Some("channel:read:predictions"),
        Broadcaster,
    ),
    twitch(
        "channel.prediction.end",
        "1",
        Some("channel:read:predictions"),
        Broadcaster,
    ),
    twitch(
        "channel.charity_campaign.donate",
        "1",
        Some("channel:read:charity"),
        Broadcaster,
    ),
    twitch(
        "channel.charity_campaign.progress",
        "1",
        Some("channel:read:charity"),
        Broadcaster,
    ),
    twitch(
        "channel.hype_train.begin",
        "1",
        Some("channel:read:hype_train"),
        Broadcaster,
    ),
    twitch(
        "channel.hype_train.progress",
        "1",
        Some("channel:read:hype_train"),
        Broadcaster,
    ),
    twitch(
        "channel.hype_train.end",
        "1",
        Some("channel:read:hype_train"),
        Broadcaster,
    ),
    twitch(
        "channel.goal.begin",
        "1",
        Some("channel:read:goals"),
        Broadcaster,
    ),
    twitch(
        "channel.goal.progress",
        "1",
        Some("channel:read:goals"),
        Broadcaster,
    ),
    twitch(
        "channel.goal.end",
        "1",
        Some("channel:read:goals"),
        Broadcaster,
    ),
    twitch(
        "channel.shoutout.create",
        "1",
        Some("moderator:read:shoutouts"),
        Moderator,
    ),
    twitch(
        "channel.shoutout.receive",
        "1",
        Some("moderator:read:shoutouts"),
        Moderator,
    ),
    twitch(
        "channel.vip.add",
        "1",
        Some("channel:read:vips"),
        Broadcaster,
    ),
    twitch(
        "channel.vip.remove",
        "1",
        Some("channel:read:vips"),
        Broadcaster,
    ),
    twitch(
        "channel.ad_break.begin",
        "1",
        Some("channel:read:ads"),
        Broadcaster,
    ),
    // The EventSub client's own state (session, subscriptions, token).
    hub("twitch.service_status", Twitch, false),
    // OBS, through obs-websocket.
    hub("obs.connection_established", Obs, false),
    hub("obs.connection_lost", Obs, false),
    hub("obs.stats_updated", Obs, false),
    hub("obs.unknown_event", Obs, false),
    hub("obs.scene_changed", Obs, true),
    hub("obs.stream_started", Obs, true),
    hub("obs.stream_stopped", Obs, true),
    hub("obs.recording_started", Obs, true),
    hub("obs.recording_stopped", Obs, true),
    hub("obs.websocket_event", Obs, true),
    // IronMON, over TCP.
    hub("ironmon.init", Ironmon, true),
    hub("ironmon.seed", Ironmon, false),
    hub("ironmon.checkpoint", Ironmon, true),
    hub("ironmon.battle_start", Ironmon, true),
    hub("ironmon.battle_end", Ironmon, true),
    hub("ironmon.pokemon_update", Ironmon, false),
    hub("ironmon.location", Ironmon, false),
    hub("ironmon.item_update", Ironmon, false),
    hub("ironmon.stats_update", Ironmon, false),
    hub("ironmon.error", Ironmon, true),
    hub("ironmon.run_started", Ironmon, true),
    hub("ironmon.run_checkpoint", Ironmon, true),
    // A lost battle that ends the run (the death alert).
    hub("ironmon.run_ended", Ironmon, true),
    // Rainwave.
    hub("rainwave.update", Rainwave, false),
    hub("rainwave.song_changed", Rainwave, true),
    hub("rainwave.station_changed", Rainwave, true),
    // The hub and its services.
    hub("system.service_started", System, true),
    hub("system.service_stopped", System, true),
    hub("system.health_check", System, false),
    hub("system.performance_metric", System, false),
    // The stream producer's own (internal `stream.*`; every other `stream.*` is Twitch's).
    // seed: what is happening now (every analysis interval) and each stored context.
    // Neither is an alert; contexts are stored in their own table.
    hub("seed.analysis", Seed, false),
    hub("seed.context", Seed, false),
    hub("stream.state_updated", Stream, false),
    hub("stream.show_changed", Stream, false),
    hub("stream.interrupt_removed", Stream, false),
    hub("stream.emote_increment", Stream, false),
    hub("stream.takeover_started", Stream, false),
    hub("stream.takeover_cleared", Stream, false),
    hub("stream.goals_updated", Stream, false),
];

/// Families whose unlisted types are accepted: Twitch's EventSub namespaces and the
/// hub's own sources.
const FAMILIES: &[(&str, Source)] = &[
    ("channel", Twitch),
    ("stream", Twitch),
    ("user", Twitch),
    ("automod", Twitch),
    ("conduit", Twitch),
    ("drop", Twitch),
    ("extension", Twitch),
    ("twitch", Twitch),
    ("obs", Obs),
    ("ironmon", Ironmon),
    ("rainwave", Rainwave),
    ("system", System),
];

/// Twitch families the activity log keeps even for types not listed above.
const STORED_TWITCH_FAMILIES: &[&str] = &[
    "channel.chat.",
    "channel.channel_points_custom_reward",
    "channel.poll.",
    "channel.prediction.",
    "channel.charity_campaign.",
    "channel.hype_train.",
    "channel.goal.",
    "channel.shoutout.",
    "channel.vip.",
];

/// The catalogue entry of a listed type.
pub fn lookup(name: &str) -> Option<&'static EventType> {
    CATALOGUE.iter().find(|t| t.name == name)
}

/// Where a type comes from: its entry's source, else its family's; `None` for a
/// type from no known family (the pipeline refuses it).
pub fn source_of(name: &str) -> Option<Source> {
    if let Some(t) = lookup(name) {
        return Some(t.source);
    }
    let family = name.split('.').next().unwrap_or("");
    FAMILIES.iter().find(|(f, _)| *f == family).map(|(_, s)| *s)
}

/// Whether the activity log keeps events of this type.
pub fn is_storable(name: &str) -> bool {
    match lookup(name) {
        Some(t) => t.storable,
        None => STORED_TWITCH_FAMILIES.iter().any(|p| name.starts_with(p)),
    }
}

/// The EventSub subscriptions Landale creates, in order.
pub fn subscriptions() -> impl Iterator<Item = (&'static str, Subscription)> {
    CATALOGUE
        .iter()
        .filter_map(|t| t.eventsub.map(|s| (t.name, s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_declared_once() {
        for (i, t) in CATALOGUE.iter().enumerate() {
            assert!(
                CATALOGUE[i + 1..].iter().all(|u| u.name != t.name),
                "{} is declared twice",
                t.name
            );
        }
    }

    #[test]
    fn sources_storage_and_unknown_families() {
        assert_eq!(source_of("channel.follow"), Some(Source::Twitch));
        assert_eq!(source_of("stream.online"), Some(Source::Twitch));
        assert_eq!(source_of("stream.takeover_started"), Some(Source::Stream));
        assert_eq!(source_of("stream.something_new"), Some(Source::Twitch));
        assert_eq!(
            source_of("channel.ban"),
            Some(Source::Twitch),
            "a new Twitch type"
        );
        assert_eq!(source_of("obs.scene_changed"), Some(Source::Obs));
        assert_eq!(source_of("ironmon.location_change"), Some(Source::Ironmon));
        assert_eq!(source_of("twitch.service_status"), Some(Source::Twitch));
        assert_eq!(source_of("rainwave.update"), Some(Source::Rainwave));
        assert_eq!(source_of("system.health_check"), Some(Source::System));
        assert_eq!(source_of("nonsense.thing"), None);
        assert_eq!(source_of(""), None);
        assert!(is_storable("channel.follow"));
        assert!(
            is_storable("channel.chat.user_message_hold"),
            "a stored family"
        );
        assert!(!is_storable("channel.ban"));
        assert!(!is_storable("obs.stats_updated"));
        assert!(is_storable("obs.scene_changed"));
        assert!(!is_storable("stream.state_updated"));
        assert_eq!(subscriptions().count(), 42);
        assert_eq!(subscriptions().next().map(|s| s.0), Some("stream.online"));
    }

    #[test]
    fn storable_types() {
        for t in [
            "channel.follow",
            "channel.chat.message",
            "channel.poll.begin",
            "channel.goal.end",
            "obs.scene_changed",
            "channel.raid",
        ] {
            assert!(is_storable(t), "{t}");
        }
        for t in [
            "system.health_check",
            "system.performance_metric",
            "stream.state_updated",
            "obs.stats_updated",
        ] {
            assert!(!is_storable(t), "{t}");
        }
    }
}
