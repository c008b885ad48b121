//! `api.twitch.tv/helix`: channels (get, patch with `broadcaster_id` in the query),
//! category search, goals, cheermotes (with their images, drawn here as SVG),
//! EventSub subscriptions. Every answer carries
//! `Ratelimit-Limit/Remaining/Reset`; a scripted rate limit answers 429.

use crate::oauth::{bearer, error};
use crate::state::{FakeTwitch, Subscription};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

const LIMIT: u32 = 800;

pub fn routes() -> Router<FakeTwitch> {
    Router::new()
        .route("/helix/channels", get(get_channel).patch(patch_channel))
        .route("/helix/search/categories", get(search))
        .route("/helix/goals", get(goals))
        .route("/helix/bits/cheermotes", get(cheermotes))
        .route("/_fake/cheermotes/{prefix}/{file}", get(cheermote_image))
        .route(
            "/emoticons/v2/{id}/{format}/{theme}/{scale}",
            get(emote_image),
        )
        .route(
            "/helix/eventsub/subscriptions",
            get(list_subs).post(create_sub).delete(delete_sub),
        )
}

const CATEGORIES: &[(&str, &str)] = &[
    ("509660", "Just Chatting"),
    ("509658", "Software and Game Development"),
    ("490100", "Pokémon FireRed/LeafGreen"),
    ("518203", "Slots"),
    ("509659", "Art"),
    ("509663", "Special Events"),
    ("27471", "Minecraft"),
    ("1469308723", "Software and Game Development (Legacy)"),
];

/// Auth and rate limit, as Helix checks them. `Err` is the response to send.
#[allow(clippy::result_large_err)] // an axum Response, sent at once
fn gate(fake: &FakeTwitch, headers: &HeaderMap) -> Result<Vec<String>, Response> {
    {
        let mut s = fake.state();
        s.helix_calls += 1;
        if s.server_errors > 0 {
            s.server_errors -= 1;
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
            ));
        }
        if let Some((count, secs)) = s.rate_limited {
            s.rate_limited = (count > 1).then(|| (count - 1, secs));
            let reset = chrono::Utc::now().timestamp() + secs as i64;
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
            let h = r.headers_mut();
            h.insert("ratelimit-limit", HeaderValue::from(LIMIT));
            h.insert("ratelimit-remaining", HeaderValue::from(0));
            h.insert("ratelimit-reset", HeaderValue::from(reset));
            return Err(r);
        }
    }
    if headers.get("client-id").and_then(|v| v.to_str().ok())
        != Some(fake.config().client_id.as_str())
    {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "Client ID and OAuth token do not match",
        ));
    }
    match bearer(headers).and_then(|t| fake.check(&t)) {
        Some(t) => Ok(t.scopes),
        None => Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"})),
        )
            .into_response()),
    }
}

fn ok(status: StatusCode, body: Option<Value>) -> Response {
    let mut r = match body {
        Some(b) => (status, Json(b)).into_response(),
        None => status.into_response(),
    };
    let h = r.headers_mut();
    h.insert("ratelimit-limit", HeaderValue::from(LIMIT));
    h.insert("ratelimit-remaining", HeaderValue::from(LIMIT - 1));
    h.insert(
        "ratelimit-reset",
        HeaderValue::from(chrono::Utc::now().timestamp() + 60),
    );
    r
}

fn bad(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "Bad Request", "status": 400, "message": message})),
    )
        .into_response()
}

async fn get_channel(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&fake, &headers) {
        return r;
    }
    match q.get("broadcaster_id") {
        Some(id) if *id == fake.config().user_id => {
            ok(StatusCode::OK, Some(json!({"data": [fake.channel()]})))
        }
        Some(_) => ok(StatusCode::OK, Some(json!({"data": []}))),
        None => bad("Missing required parameter \"broadcaster_id\""),
    }
}

async fn patch_channel(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Option<Json<Value>>,
) -> Response {
    let scopes = match gate(&fake, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !scopes.iter().any(|s| s == "channel:manage:broadcast") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "Unauthorized", "status": 401, "message": "Missing scope: channel:manage:broadcast"}))).into_response();
    }
    if q.get("broadcaster_id") != Some(&fake.config().user_id) {
        return bad("Missing required parameter \"broadcaster_id\"");
    }
    let Some(Json(Value::Object(changes))) = body else {
        return bad("The request body is not a JSON object");
    };
    if changes.is_empty() {
        return bad("No fields to update");
    }
    if let Some(t) = changes.get("title").and_then(Value::as_str) {
        if t.trim().is_empty() || t.chars().count() > 140 {
            return bad("The title must not be empty and at most 140 characters");
        }
    }
    let mut s = fake.state();
    for (k, v) in changes {
        if k == "game_id" {
            let name = CATEGORIES
                .iter()
                .find(|c| Some(c.0) == v.as_str())
                .map(|c| c.1);
            match name {
                Some(n) => s.channel["game_name"] = json!(n),
                None => return bad("Invalid game_id"),
            }
        }
        if [
            "title",
            "game_id",
            "broadcaster_language",
            "delay",
            "tags",
            "is_branded_content",
        ]
        .contains(&k.as_str())
        {
            s.channel[k] = v;
        }
    }
    // Twitch tells channel.update subscribers about the change (version 2 payload).
    let c = s.channel.clone();
    drop(s);
    fake.notify(
        "channel.update",
        json!({"broadcaster_user_id": c["broadcaster_id"], "broadcaster_user_login": c["broadcaster_login"],
            "broadcaster_user_name": c["broadcaster_name"], "title": c["title"], "language": c["broadcaster_language"],
            "category_id": c["game_id"], "category_name": c["game_name"], "content_classification_labels": []}),
        None,
    );
    ok(StatusCode::NO_CONTENT, None)
}

async fn search(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&fake, &headers) {
        return r;
    }
    let Some(query) = q.get("query").map(|s| s.to_lowercase()) else {
        return bad("Missing required parameter \"query\"");
    };
    let first: usize = q
        .get("first")
        .and_then(|f| f.parse().ok())
        .unwrap_or(20)
        .min(100);
    let data: Vec<Value> = CATEGORIES
        .iter()
        .filter(|(_, name)| name.to_lowercase().contains(&query))
        .take(first)
        .map(|(id, name)| json!({"id": id, "name": name, "box_art_url": format!("https://static-cdn.jtvnw.net/ttv-boxart/{id}-{{width}}x{{height}}.jpg"), "igdb_id": ""}))
        .collect();
    ok(
        StatusCode::OK,
        Some(json!({"data": data, "pagination": {}})),
    )
}

async fn goals(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let scopes = match gate(&fake, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !scopes.iter().any(|s| s == "channel:read:goals") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "Unauthorized", "status": 401, "message": "Missing scope: channel:read:goals"}))).into_response();
    }
    if !q.contains_key("broadcaster_id") {
        return bad("Missing required parameter \"broadcaster_id\"");
    }
    let cfg = fake.config();
    ok(
        StatusCode::OK,
        Some(json!({"data": [{
            "id": "1woowvbkiNv8BRxEWSqmQz6Zk92", "broadcaster_id": cfg.user_id, "broadcaster_name": "Avalonstar",
            "broadcaster_login": cfg.login, "type": "follower", "description": "Follow goal for Landale",
            "current_amount": 1234, "target_amount": 1500, "created_at": "2026-11-01T08:00:00Z",
        }]})),
    )
}

/// Twitch's tier colours, by `min_bits`.
const TIERS: &[(u64, &str)] = &[
    (1, "#979797"),
    (100, "#9c3ee8"),
    (1000, "#1db2a5"),
    (5000, "#0099fe"),
    (10000, "#f43021"),
];

/// `GET /helix/bits/cheermotes`: the global "Cheer" (and a charity one), plus the
/// channel's own prefix (its login) when `broadcaster_id` is the fake's user. Image
/// URLs point back at this fake, at the host the caller used.
async fn cheermotes(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&fake, &headers) {
        return r;
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let cfg = fake.config();
    let entry = |prefix: &str, kind: &str, order: u32| {
        let tiers: Vec<Value> = TIERS
            .iter()
            .map(|(min, colour)| {
                let sizes = |theme: &str, anim: &str| {
                    let url = |scale: &str| {
                        format!("http://{host}/_fake/cheermotes/{prefix}/{min}-{theme}-{anim}-{scale}.svg")
                    };
                    json!({"1": url("1"), "1.5": url("1.5"), "2": url("2"), "3": url("3"), "4": url("4")})
                };
                json!({
                    "min_bits": min, "id": min.to_string(), "color": colour,
                    "images": {
                        "dark": {"animated": sizes("dark", "animated"), "static": sizes("dark", "static")},
                        "light": {"animated": sizes("light", "animated"), "static": sizes("light", "static")},
                    },
                    "can_cheer": true, "show_in_bits_card": true,
                })
            })
            .collect();
        json!({"prefix": prefix, "tiers": tiers, "type": kind, "order": order,
            "last_updated": "2026-01-01T00:00:00Z", "is_charitable": prefix == "Charity"})
    };
    let mut data = vec![
        entry("Cheer", "global_first_party", 1),
        entry("Charity", "global_first_party", 2),
    ];
    if q.get("broadcaster_id") == Some(&cfg.user_id) {
        data.insert(0, entry(&cfg.login, "channel_custom", 1));
    }
    ok(StatusCode::OK, Some(json!({"data": data})))
}

/// A gem in the tier's colour, as the image of `<min>-<theme>-<kind>-<scale>.svg`.
async fn cheermote_image(
    axum::extract::Path((_prefix, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let min: Option<u64> = file.split('-').next().and_then(|m| m.parse().ok());
    let Some((_, colour)) = TIERS.iter().find(|(m, _)| Some(*m) == min) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="56" height="56" viewBox="0 0 56 56"><path d="M28 4 50 22 28 52 6 22Z" fill="{colour}" stroke="#fff" stroke-width="3"/></svg>"##
    );
    ([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

/// An emote's image as Twitch's CDN serves it (`TWITCH_EMOTE_URL` →
/// `<base>/<id>/default/dark/<scale>`): a small face in a colour of its own, so tests
/// and the demo draw emotes without the internet.
async fn emote_image(
    axum::extract::Path((id, _format, _theme, _scale)): axum::extract::Path<(
        String,
        String,
        String,
        String,
    )>,
) -> Response {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let hue = id
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32))
        % 360;
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="56" height="56" viewBox="0 0 56 56"><circle cx="28" cy="28" r="25" fill="hsl({hue},80%,55%)" stroke="#fff" stroke-width="3"/><circle cx="20" cy="23" r="4" fill="#111"/><circle cx="36" cy="23" r="4" fill="#111"/><path d="M17 34q11 10 22 0" stroke="#111" stroke-width="4" fill="none" stroke-linecap="round"/></svg>"##
    );
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg,
    )
        .into_response()
}

/// Scopes a subscription type needs (Twitch's EventSub reference).
fn needs(sub_type: &str) -> Option<&'static str> {
    Some(match sub_type {
        "channel.follow" => "moderator:read:followers",
        "channel.subscribe"
        | "channel.subscription.end"
        | "channel.subscription.gift"
        | "channel.subscription.message" => "channel:read:subscriptions",
        "channel.cheer" => "bits:read",
        "channel.chat.message" | "channel.chat.notification" => "user:read:chat",
        "channel.goal.begin" | "channel.goal.progress" | "channel.goal.end" => "channel:read:goals",
        _ => return None,
    })
}

async fn create_sub(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let scopes = match gate(&fake, &headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(Json(b)) = body else {
        return bad("The request body is not JSON");
    };
    let (Some(t), Some(v), Some(cond), Some(session)) = (
        b["type"].as_str(),
        b["version"].as_str(),
        b.get("condition").filter(|c| c.is_object()),
        b["transport"]["session_id"].as_str(),
    ) else {
        return bad("type, version, condition and transport.session_id are required");
    };
    if b["transport"]["method"] != "websocket" {
        return bad("transport.method must be websocket for a WebSocket session");
    }
    if let Some(scope) = needs(t) {
        if !scopes.iter().any(|s| s == scope) {
            return (StatusCode::FORBIDDEN, Json(json!({"error": "Forbidden", "status": 403, "message": "subscription missing proper authorization"}))).into_response();
        }
    }
    let mut s = fake.state();
    if !s.conns.iter().any(|c| c.session_id == session) {
        return bad("websocket transport session does not exist or has already disconnected");
    }
    // Twitch refuses a second enabled subscription of the same type and condition,
    // even one tied to an older session it has not yet noticed is gone.
    if s.subscriptions
        .values()
        .any(|x| x.sub_type == t && x.condition == *cond)
    {
        return (StatusCode::CONFLICT, Json(json!({"error": "Conflict", "status": 409, "message": "subscription already exists"}))).into_response();
    }
    let sub = Subscription {
        id: uuid::Uuid::new_v4().to_string(),
        sub_type: t.into(),
        version: v.into(),
        condition: cond.clone(),
        session_id: session.into(),
        created_at: chrono::Utc::now(),
    };
    let json = sub.json("enabled");
    s.subscriptions.insert(sub.id.clone(), sub);
    let total = s.subscriptions.len();
    ok(
        StatusCode::ACCEPTED,
        Some(json!({"data": [json], "total": total, "total_cost": 0, "max_total_cost": 10})),
    )
}

async fn delete_sub(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&fake, &headers) {
        return r;
    }
    let Some(id) = q.get("id") else {
        return bad("Missing required parameter \"id\"");
    };
    if fake.state().subscriptions.remove(id).is_some() {
        ok(StatusCode::NO_CONTENT, None)
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "Not Found", "status": 404, "message": "subscription not found"})),
        )
            .into_response()
    }
}

async fn list_subs(
    State(fake): State<FakeTwitch>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = gate(&fake, &headers) {
        return r;
    }
    let s = fake.state();
    let data: Vec<Value> = s
        .subscriptions
        .values()
        .filter(|x| q.get("type").is_none_or(|t| *t == x.sub_type))
        .map(|x| x.json("enabled"))
        .collect();
    ok(
        StatusCode::OK,
        Some(
            json!({"data": data, "total": data.len(), "total_cost": 0, "max_total_cost": 10, "pagination": {}}),
        ),
    )
}
