//! Demo mode (`LANDALE_DEMO=1`): realistic Twitch traffic through the same pipeline
//! as everything else, so a newcomer sees overlays move with no accounts.

use crate::pipeline::Pipeline;
use chrono::Utc;
use landale_core::Input;
use rand::seq::IndexedRandom;
use rand::Rng;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::watch;

const VIEWERS: &[(&str, &str, &str)] = &[
    ("40001", "pixelpanda", "PixelPanda"),
    ("40002", "midnight_rook", "midnight_rook"),
    ("40003", "sundaysauce", "SundaySauce"),
    ("40004", "glitchwitch", "GlitchWitch"),
    ("40005", "tuesday_tom", "Tuesday_Tom"),
    ("40006", "lofi_lara", "LofiLara"),
    ("40007", "speedrunsam", "SpeedrunSam"),
    ("40008", "kaizo_kid", "kaizo_kid"),
];
const CHAT: &[&str] = &[
    "LET'S GOOO",
    "that was clean avalonHYPE",
    "chat is this real",
    "Kappa",
    "gg",
    "first time here, love the overlays",
    "avalonLOVE avalonLOVE",
    "how many attempts is this?",
];

fn broadcaster() -> Value {
    json!({"broadcaster_user_id": "12826", "broadcaster_user_login": "avalonstar", "broadcaster_user_name": "Avalonstar"})
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn viewer(rng: &mut impl Rng) -> Value {
    let (id, login, name) = VIEWERS.choose(rng).copied().unwrap_or(VIEWERS[0]);
    json!({"user_id": id, "user_login": login, "user_name": name})
}

fn chat(rng: &mut impl Rng) -> Value {
    let v = viewer(rng);
    let text = *CHAT.choose(rng).unwrap_or(&"hi");
    // Twitch's fragments: each emote on its own, the text between them (spaces kept).
    let mut fragments: Vec<Value> = vec![];
    for (i, w) in text.split(' ').enumerate() {
        if i > 0 {
            fragments.push(json!({"type": "text", "text": " "}));
        }
        if w.starts_with("avalon") || w == "Kappa" {
            fragments
                .push(json!({"type": "emote", "text": w, "emote": {"id": w, "emote_set_id": "0"}}));
        } else {
            fragments.push(json!({"type": "text", "text": w}));
        }
    }
    const COLOURS: [&str; 6] = [
        "#9146FF", "#1E90FF", "#FF7F50", "#2E8B57", "#DAA520", "#FF69B4",
    ];
    let colour = *COLOURS.choose(rng).unwrap_or(&"#9146FF");
    let badges = match rng.random_range(0..10) {
        0 => json!([{"set_id": "moderator", "id": "1", "info": ""}]),
        1..=3 => json!([{"set_id": "subscriber", "id": "3", "info": "3"}]),
        4 => json!([{"set_id": "vip", "id": "1", "info": ""}]),
        _ => json!([]),
    };
    with(
        broadcaster(),
        json!({
            "message_id": uuid::Uuid::new_v4().to_string(),
            "chatter_user_id": v["user_id"], "chatter_user_login": v["user_login"], "chatter_user_name": v["user_name"],
            "message": {"text": text, "fragments": fragments},
            "color": colour, "badges": badges, "message_type": "text",
        }),
    )
}

/// One demo beat: a list of events to send, in order. Mostly chat: about one beat in
/// eight is an alert (one every ~12 s), so the alert queue (10 s each) keeps up and the
/// ticker gets to rotate in between.
fn beat(rng: &mut impl Rng) -> Vec<(&'static str, Value)> {
    let roll = rng.random_range(0..100);
    let now = Utc::now().to_rfc3339();
    match roll {
        0..=81 => vec![("channel.chat.message", chat(rng))],
        82..=88 => vec![(
            "channel.follow",
            with(
                broadcaster(),
                with(viewer(rng), json!({"followed_at": now})),
            ),
        )],
        89..=93 => {
            let tier = *["1000", "1000", "2000", "3000"]
                .choose(rng)
                .unwrap_or(&"1000");
            vec![(
                "channel.subscribe",
                with(
                    broadcaster(),
                    with(viewer(rng), json!({"tier": tier, "is_gift": false})),
                ),
            )]
        }
        94..=96 => {
            let bits = *[100, 250, 500, 1000].choose(rng).unwrap_or(&100);
            vec![(
                "channel.cheer",
                with(
                    broadcaster(),
                    with(
                        viewer(rng),
                        json!({"bits": bits, "message": "Cheer100 great run", "is_anonymous": false}),
                    ),
                ),
            )]
        }
        97..=98 => {
            // A gift bomb: the gift event, then one gifted sub per recipient.
            let total = rng.random_range(3..=10);
            let gifter = viewer(rng);
            let mut out = vec![(
                "channel.subscription.gift",
                with(
                    broadcaster(),
                    with(
                        gifter,
                        json!({"total": total, "tier": "1000", "cumulative_total": total * 3, "is_anonymous": false}),
                    ),
                ),
            )];
            for _ in 0..total {
                out.push((
                    "channel.subscribe",
                    with(
                        broadcaster(),
                        with(viewer(rng), json!({"tier": "1000", "is_gift": true})),
                    ),
                ));
            }
            out
        }
        _ => vec![(
            "channel.raid",
            json!({
                "from_broadcaster_user_id": "50001", "from_broadcaster_user_login": "cozy_streams",
                "from_broadcaster_user_name": "CozyStreams", "to_broadcaster_user_id": "12826",
                "to_broadcaster_user_login": "avalonstar", "to_broadcaster_user_name": "Avalonstar",
                "viewers": rng.random_range(5..400),
            }),
        )],
    }
}

pub(crate) async fn run(pipeline: Pipeline, mut shutdown: watch::Receiver<bool>) {
    tracing::info!("demo mode: generating follows, subs, gift bombs, cheers, raids and chat");
    loop {
        let events = beat(&mut rand::rng());
        for (t, data) in events {
            if let Err(r) = pipeline.ingest(Input::new(t, data)) {
                tracing::error!(?r, "demo event rejected (a bug in the demo generator)");
            }
        }
        let wait = Duration::from_millis(rand::rng().random_range(700..2500));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of demo event passes validation.
    #[test]
    fn demo_events_are_valid() {
        let mut rng = rand::rng();
        for _ in 0..500 {
            for (t, data) in beat(&mut rng) {
                assert_eq!(
                    crate::pipeline::validate::validate(t, &data),
                    Ok(()),
                    "{t}: {data}"
                );
            }
        }
    }
}
