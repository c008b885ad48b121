//! `fake-twitch`: the local Twitch on loopback for demos and browser tests.
//!
//! ```text
//! fake-twitch [--port 7176] [--every SECONDS | --quiet]
//! ```
//! Point landale at it with TWITCH_AUTH_URL, TWITCH_API_URL and TWITCH_EVENTSUB_URL
//! (printed at start), TWITCH_CLIENT_ID=fake-client-id and
//! TWITCH_CLIENT_SECRET=fake-client-secret. Unless `--quiet`, it sends a realistic
//! follow, sub, cheer, raid or chat message every few seconds (4 by default) to
//! whoever subscribed. `/_fake/*` drives it from outside (see `control.rs`).

use fake_twitch::{FakeConfig, FakeTwitch};
use rand::seq::IndexedRandom;
use serde_json::json;
use std::time::Duration;

const USAGE: &str = "usage: fake-twitch [--port N] [--every SECONDS | --quiet]";

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let mut port = 7176u16;
    let mut every = Some(Duration::from_secs(4));
    while let Some(a) = args.next() {
        let value = |v: Option<String>| -> u64 {
            match v.and_then(|p| p.parse().ok()) {
                Some(n) => n,
                None => {
                    eprintln!("{a} needs a number\n{USAGE}");
                    std::process::exit(2);
                }
            }
        };
        match a.as_str() {
            "--port" => port = value(args.next()) as u16,
            "--every" => every = Some(Duration::from_secs(value(args.next()).max(1))),
            "--quiet" => every = None,
            _ => {
                eprintln!("{USAGE}");
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
    let Some(every) = every else {
        std::future::pending::<()>().await;
        return Ok(());
    };
    let names = [
        "PixelPanda",
        "midnight_rook",
        "SundaySauce",
        "GlitchWitch",
        "LofiLara",
    ];
    let mut n = 0u64;
    loop {
        tokio::time::sleep(every).await;
        n += 1;
        let name = *names.choose(&mut rand::rng()).unwrap_or(&"PixelPanda");
        let user = json!({"user_id": format!("{}", 40000 + n % 5), "user_login": name.to_lowercase(), "user_name": name,
            "broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "broadcaster_user_name": "Avalonstar"});
        let (kind, mut event) = match n % 6 {
            0 => ("channel.follow", user),
            2 => ("channel.subscribe", user),
            4 => ("channel.cheer", user),
            5 => (
                "channel.raid",
                json!({"from_broadcaster_user_id": format!("{}", 40000 + n % 5),
                    "from_broadcaster_user_login": name.to_lowercase(), "from_broadcaster_user_name": name,
                    "to_broadcaster_user_id": "12826", "to_broadcaster_user_login": "avalonstar",
                    "to_broadcaster_user_name": "Avalonstar", "viewers": 12 + n % 40}),
            ),
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
