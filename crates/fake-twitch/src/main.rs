//! `fake-twitch`: the local Twitch on loopback for demos.
//!
//! ```text
//! fake-twitch [--port 7176]
//! ```
//! Point landale at it with TWITCH_AUTH_URL, TWITCH_API_URL and TWITCH_EVENTSUB_URL
//! (printed at start), TWITCH_CLIENT_ID=fake-client-id and
//! TWITCH_CLIENT_SECRET=fake-client-secret. While it runs it sends a realistic
//! follow, sub, cheer or chat message every few seconds to whoever subscribed.

use fake_twitch::{FakeConfig, FakeTwitch};
use rand::seq::IndexedRandom;
use serde_json::json;
use std::time::Duration;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let mut args = std::env::args().skip(1);
    let mut port = 7176u16;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().and_then(|p| p.parse().ok()).unwrap_or(port),
            _ => {
                eprintln!("usage: fake-twitch [--port N]");
                std::process::exit(2);
            }
        }
    }
    let (fake, addr) =
        FakeTwitch::start(FakeConfig::default(), ([127, 0, 0, 1], port).into()).await?;
    println!("fake Twitch on {addr}");
    println!("  TWITCH_AUTH_URL={}", fake.auth_url());
    println!("  TWITCH_API_URL={}", fake.api_url());
    println!("  TWITCH_EVENTSUB_URL={}", fake.eventsub_url());
    println!("  TWITCH_CLIENT_ID=fake-client-id TWITCH_CLIENT_SECRET=fake-client-secret");
    let names = [
        "PixelPanda",
        "midnight_rook",
        "SundaySauce",
        "GlitchWitch",
        "LofiLara",
    ];
    let mut n = 0u64;
    loop {
        tokio::time::sleep(Duration::from_secs(4)).await;
        n += 1;
        let name = *names.choose(&mut rand::rng()).unwrap_or(&"PixelPanda");
        let user = json!({"user_id": format!("{}", 40000 + n % 5), "user_login": name.to_lowercase(), "user_name": name,
            "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "broadcaster_user_name": "Avalonstar"});
        let (kind, mut event) = match n % 4 {
            0 => ("channel.follow", user),
            1 => ("channel.subscribe", user),
            2 => ("channel.cheer", user),
            _ => (
                "channel.chat.message",
                json!({"broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar",
                "broadcaster_user_name": "Avalonstar", "chatter_user_id": "40001", "chatter_user_login": name.to_lowercase(),
                "chatter_user_name": name, "message_id": uuid::Uuid::new_v4().to_string(),
                "message": {"text": "hello from the fake Twitch avalonHYPE", "fragments": [
                    {"type": "text", "text": "hello from the fake Twitch "},
                    {"type": "emote", "text": "avalonHYPE", "emote": {"id": "avalonHYPE", "emote_set_id": "1"}}]},
                "color": "#9146FF", "badges": [], "message_type": "text"}),
            ),
        };
        match kind {
            "channel.follow" => event["followed_at"] = json!(chrono::Utc::now().to_rfc3339()),
            "channel.subscribe" => {
                event["tier"] = json!("1000");
                event["is_gift"] = json!(false);
            }
            "channel.cheer" => {
                event["bits"] = json!(100);
                event["is_anonymous"] = json!(false);
                event["message"] = json!("Cheer100 nice");
            }
            _ => {}
        }
        fake.notify(kind, event, None);
    }
}
