//! Alert settings and media end to end: the dashboard's commands over a real socket,
//! an open overlay socket that gets every change pushed, settings that survive a
//! restart, test alerts through the pipeline and the producer, and uploads checked
//! by their bytes.

use landale_testkit::*;
use serde_json::{json, Value};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A short silent WAV, made here.
fn wav() -> Vec<u8> {
    let samples = 800u32;
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + samples * 2).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&16000u32.to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(samples * 2).to_le_bytes());
    w.resize(w.len() + samples as usize * 2, 0);
    w
}

async fn upload(hub: &TestHub, bytes: Vec<u8>, token: bool) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .post(hub.http("/api/media"))
        .body(bytes);
    if token {
        r = r.bearer_auth(TOKEN);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn media_uploads_are_checked_stored_and_served() {
    let hub = TestHub::start(Opts::default()).await;
    let (status, body) = upload(&hub, PNG.to_vec(), true).await;
    assert_eq!(status, 201, "{body}");
    let png = body["data"].clone();
    assert_eq!(png["kind"], "image");
    assert_eq!(png["mime"], "image/png");
    let name = png["name"].as_str().unwrap().to_string();
    assert!(name.ends_with(".png"));

    let r = reqwest::get(hub.http(png["url"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(r.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);

    // Refused, with why: not a known format (an SVG could carry script), empty,
    // over 10 MiB, or without the token. None of them is kept.
    let (status, body) = upload(&hub, b"<svg onload=alert(1)>".to_vec(), true).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("PNG, GIF, WebP"));
    assert_eq!(upload(&hub, vec![], true).await.0, 422);
    let mut big = PNG.to_vec();
    big.resize(10 * 1024 * 1024 + 1, 0);
    let (status, body) = upload(&hub, big, true).await;
    assert!(status == 422 || status == 413, "{status} {body}");
    assert_eq!(upload(&hub, wav(), false).await.0, 401);
    let list: Value = hub.get_json("/api/media").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");

    // A name that is not a stored file (or tries to leave the folder): 404.
    for bad in [
        "/media/0000000000000000.png",
        "/media/..%2F..%2Fetc%2Fpasswd",
    ] {
        assert_eq!(
            reqwest::get(hub.http(bad)).await.unwrap().status(),
            404,
            "{bad}"
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn emotes_redirect_to_their_image_and_bad_ids_are_refused() {
    let hub = TestHub::start(Opts::default()).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(hub.http("/emotes/emotesv2_abc123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(
        r.headers()["location"],
        "https://static-cdn.jtvnw.net/emoticons/v2/emotesv2_abc123/default/dark/2.0"
    );
    for bad in [
        "/emotes/..%2Fx",
        "/emotes/a%20b",
        &format!("/emotes/{}", "9".repeat(65)),
    ] {
        let r = client.get(hub.http(bad)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{bad}");
    }
    hub.stop().await;
}

#[tokio::test]
async fn alert_settings_are_checked_pushed_kept_and_tested_live() {
    let mut hub = TestHub::start(Opts::default()).await;
    let (_, wav_body) = upload(&hub, wav(), true).await;
    let sound = wav_body["data"]["name"].as_str().unwrap().to_string();

    // An overlay (no token) gets the settings on join and every change after.
    let mut overlay = ws_anon(&hub.ws_url(), "").await;
    join(
        &mut overlay,
        "stream:overlays",
        json!({"overlay_type": "omnibar"}),
    )
    .await;
    let first = next_event(&mut overlay, "alert_settings").await;
    assert_eq!(first[4]["types"]["cheer"]["min_amount"], 0);
    assert_eq!(first[4]["types"]["follow"]["title"], "{user}");

    // Reads need no token; changes do.
    let (status, r) = push(
        &mut overlay,
        "stream:overlays",
        "get_alert_settings",
        json!({}),
    )
    .await;
    assert_eq!(status, "ok");
    assert_eq!(r["data"]["styles"].as_array().unwrap().len(), 10);
    let change = json!({"type": "cheer", "changes": {"min_amount": 100}});
    let (status, r) = push(
        &mut overlay,
        "stream:overlays",
        "update_alert_settings",
        change.clone(),
    )
    .await;
    assert_eq!(
        (status.as_str(), &r["error"]["code"]),
        ("error", &json!("unauthorized"))
    );

    let mut dash = ws(&hub.ws_url(), "").await;
    join(&mut dash, "stream:queue", json!({})).await;
    // A bad change names each field and changes nothing.
    let (status, r) = push(
        &mut dash,
        "stream:queue",
        "update_alert_settings",
        json!({"type": "cheer", "changes": {"min_amount": 100, "title": "{username}", "sound": "missing.wav"}}),
    )
    .await;
    assert_eq!(status, "error", "{r}");
    let fields = &r["error"]["details"]["fields"];
    assert!(
        fields["title"][0].as_str().unwrap().contains("{user}"),
        "{r}"
    );
    assert!(fields.get("sound").is_some(), "{r}");
    let (_, now) = push(&mut dash, "stream:queue", "get_alert_settings", json!({})).await;
    assert_eq!(now["data"]["types"]["cheer"]["min_amount"], 0);

    let good = json!({"type": "cheer", "changes": {"min_amount": 100, "title": "{user} cheered!",
                                                    "accent": "#ff9f43", "sound": sound, "volume": 0.5}});
    let (status, r) = push(&mut dash, "stream:queue", "update_alert_settings", good).await;
    assert_eq!(status, "ok", "{r}");
    let pushed = next_event(&mut overlay, "alert_settings").await;
    assert_eq!(pushed[4]["types"]["cheer"]["title"], "{user} cheered!");
    assert_eq!(pushed[4]["types"]["cheer"]["sound"], sound.as_str());

    // A test alert goes through the pipeline and the producer: under the minimum it
    // is not shown; at it, it is, in its style.
    let (status, r) = push(
        &mut dash,
        "stream:queue",
        "test_alert",
        json!({"type": "cheer", "user": "Tess", "amount": 50}),
    )
    .await;
    assert_eq!(status, "ok", "{r}");
    let (status, _) = push(
        &mut dash,
        "stream:queue",
        "test_alert",
        json!({"type": "cheer", "user": "Tara", "amount": 150, "message": "gg"}),
    )
    .await;
    assert_eq!(status, "ok");
    let state = loop {
        let f = next_event(&mut overlay, "stream_state").await;
        if !f[4]["alerts"].as_array().unwrap().is_empty() {
            break f[4].clone();
        }
    };
    let alert = &state["alerts"][0];
    assert_eq!(alert["data"]["user_name"], "Tara");
    assert_eq!(alert["data"]["style"], "cheer");
    assert_eq!(alert["data"]["bits"], 150);
    assert_eq!(
        state["alerts"].as_array().unwrap().len(),
        1,
        "Tess was under 100 bits"
    );
    assert!(
        state["timeline"].as_array().unwrap().is_empty(),
        "tests stay off the timeline"
    );
    // Bad test requests: a clear refusal.
    for bad in [
        json!({"type": "nope"}),
        json!({"type": "cheer", "amount": 0}),
        json!({"type": "cheer", "user": "x".repeat(26)}),
    ] {
        let (status, r) = push(&mut dash, "stream:queue", "test_alert", bad.clone()).await;
        assert_eq!(
            (status.as_str(), &r["error"]["code"]),
            ("error", &json!("validation_failed")),
            "{bad}"
        );
    }

    // Kept across a restart.
    hub.restart().await;
    let mut overlay = ws_anon(&hub.ws_url(), "").await;
    join(&mut overlay, "stream:overlays", json!({})).await;
    let again = next_event(&mut overlay, "alert_settings").await;
    assert_eq!(again[4]["types"]["cheer"]["min_amount"], 100);
    assert_eq!(again[4]["types"]["cheer"]["accent"], "#ff9f43");

    // Reset puts the defaults back.
    let mut dash = ws(&hub.ws_url(), "").await;
    join(&mut dash, "stream:queue", json!({})).await;
    let (status, r) = push(
        &mut dash,
        "stream:queue",
        "update_alert_settings",
        json!({"type": "cheer", "reset": true}),
    )
    .await;
    assert_eq!(status, "ok", "{r}");
    assert_eq!(r["data"]["settings"]["types"]["cheer"]["min_amount"], 0);
    hub.stop().await;
}

#[tokio::test]
async fn branding_is_checked_pushed_and_kept() {
    let mut hub = TestHub::start(Opts::default()).await;
    let mut overlay = ws_anon(&hub.ws_url(), "").await;
    join(&mut overlay, "stream:overlays", json!({})).await;
    let first = next_event(&mut overlay, "branding").await;
    assert_eq!(first[4]["font"], "inter");
    let change =
        json!({"changes": {"name": "Avalonstar", "shows": {"ironmon": {"accent": "#ff0000"}}}});
    let (status, r) = push(
        &mut overlay,
        "stream:overlays",
        "update_branding",
        change.clone(),
    )
    .await;
    assert_eq!(
        (status.as_str(), &r["error"]["code"]),
        ("error", &json!("unauthorized"))
    );

    let mut dash = ws(&hub.ws_url(), "").await;
    join(&mut dash, "stream:queue", json!({})).await;
    let (status, r) = push(
        &mut dash,
        "stream:queue",
        "update_branding",
        json!({"changes": {"font": "comic", "logo": "0000000000000000.png"}}),
    )
    .await;
    assert_eq!(status, "error");
    let fields = &r["error"]["details"]["fields"];
    assert!(
        fields.get("font").is_some() && fields.get("logo").is_some(),
        "{r}"
    );
    let (status, r) = push(&mut dash, "stream:queue", "update_branding", change).await;
    assert_eq!(status, "ok", "{r}");
    let pushed = next_event(&mut overlay, "branding").await;
    assert_eq!(pushed[4]["name"], "Avalonstar");
    assert_eq!(pushed[4]["shows"]["ironmon"]["accent"], "#ff0000");

    hub.restart().await;
    let mut overlay = ws_anon(&hub.ws_url(), "").await;
    join(&mut overlay, "stream:overlays", json!({})).await;
    assert_eq!(
        next_event(&mut overlay, "branding").await[4]["name"],
        "Avalonstar"
    );
    hub.stop().await;
}
