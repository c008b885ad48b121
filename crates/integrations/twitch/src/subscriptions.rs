//! `/api/twitch/*` and `/api/health/subscriptions` (reference §11.1, §11.3): the
//! status, the EventSub subscriptions Twitch holds (list; create and delete are
//! controls), the types Landale knows (from the protocol crate's catalogue: one source
//! of truth), and a subscription health report with real numbers from the EventSub
//! task. The reference's monitor never had subscriptions registered and always
//! reported zero; this one reads the session.

use crate::eventsub::Status;
use crate::helix::HelixError;
use crate::Twitch;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use landale_core::http::{env_error, env_ok, ApiResult, Control};
use landale_protocol::catalogue;
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub fn routes(twitch: Arc<Twitch>) -> Router {
    Router::new()
        .route("/api/twitch/status", get(status))
        .route("/api/twitch/subscriptions", get(list).post(create))
        .route("/api/twitch/subscriptions/{id}", delete(remove))
        .route("/api/twitch/subscription-types", get(types))
        .route("/api/health/subscriptions", get(health))
        .with_state(twitch)
}

fn helix_error(e: HelixError) -> landale_core::http::ApiError {
    env_error(e.code(), &e.to_string(), None)
}

async fn status(State(t): State<Arc<Twitch>>) -> Response {
    let s = crate::summary(&t.tokens, &t.eventsub);
    if s["status"] == "not_configured" {
        let why = s["reason"]
            .as_str()
            .unwrap_or("Twitch is not configured")
            .to_string();
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"success": false, "error": why, "data": s})),
        )
            .into_response();
    }
    Json(json!({"success": true, "data": s})).into_response()
}

/// Every subscription Twitch holds for this app (Helix pages followed, at most 10).
async fn list(State(t): State<Arc<Twitch>>) -> ApiResult {
    let mut all = vec![];
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let query: Vec<(&str, &str)> = cursor
            .as_deref()
            .map(|c| vec![("after", c)])
            .unwrap_or_default();
        let (_, body) = t
            .helix
            .call(
                reqwest::Method::GET,
                "/eventsub/subscriptions",
                &query,
                None,
            )
            .await
            .map_err(helix_error)?;
        all.extend(body["data"].as_array().cloned().unwrap_or_default());
        cursor = body["pagination"]["cursor"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    Ok(Json(json!({"success": true, "data": all})).into_response())
}

/// `{type, condition, version?}`: created on the current EventSub session.
async fn create(_: Control, State(t): State<Arc<Twitch>>, body: Option<Json<Value>>) -> ApiResult {
    let body = body.map(|b| b.0).unwrap_or(Value::Null);
    let (Some(kind), Some(condition)) = (
        body["type"].as_str(),
        body.get("condition").filter(|c| c.is_object()),
    ) else {
        return Err(env_error(
            "missing_parameters",
            "send {\"type\": \"channel.follow\", \"condition\": {...}}",
            None,
        ));
    };
    let Some(entry) = catalogue::subscriptions()
        .find(|(k, _)| *k == kind)
        .map(|(_, s)| s)
    else {
        return Err(env_error(
            "subscription_failed",
            &format!(
                "{kind} is not an EventSub type Landale knows (see /api/twitch/subscription-types)"
            ),
            None,
        ));
    };
    let Some(session) = t.eventsub.status().session_id else {
        return Err(env_error("subscription_failed", "no EventSub session yet: sign in with `landale twitch login` and wait for the connection", None));
    };
    let version = body["version"].as_str().unwrap_or(entry.version);
    let req = json!({"type": kind, "version": version, "condition": condition,
                     "transport": {"method": "websocket", "session_id": session}});
    let (_, made) = t
        .helix
        .call(
            reqwest::Method::POST,
            "/eventsub/subscriptions",
            &[],
            Some(&req),
        )
        .await
        .map_err(|e| env_error("subscription_failed", &e.to_string(), None))?;
    Ok(env_ok(made["data"].get(0).cloned().unwrap_or(made)))
}

async fn remove(_: Control, State(t): State<Arc<Twitch>>, Path(id): Path<String>) -> ApiResult {
    if id.is_empty() || id.len() > 100 {
        return Err(env_error("invalid_parameters", "a subscription id", None));
    }
    t.helix
        .call(
            reqwest::Method::DELETE,
            "/eventsub/subscriptions",
            &[("id", id.as_str())],
            None,
        )
        .await
        .map_err(|e| env_error("subscription_failed", &e.to_string(), None))?;
    Ok(env_ok(
        json!({"operation": "subscription_deleted", "id": id}),
    ))
}

/// `{stream: [...], channel: [...], user: [...]}` of `{type, description, scopes, version}`.
pub fn types_document() -> Value {
    let mut groups: Map<String, Value> = Map::new();
    for (kind, sub) in catalogue::subscriptions() {
        let group = kind.split('.').next().unwrap_or("other").to_string();
        let entry = json!({"type": kind, "version": sub.version,
                           "scopes": sub.scope.map(|s| vec![s]).unwrap_or_default(),
                           "description": format!("Twitch EventSub {}", kind.replace(['.', '_'], " "))});
        if let Some(list) = groups
            .entry(group)
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            list.push(entry);
        }
    }
    Value::Object(groups)
}

async fn types() -> Json<Value> {
    Json(json!({"success": true, "data": types_document()}))
}

/// The report of §11.1 from the session's real numbers.
pub fn report(es: &Status, signed_in: bool) -> (StatusCode, Value) {
    let enabled = es.subscription_count as f64;
    let failed = (es.failed.len() + es.refused.len()) as f64;
    let total = enabled + failed;
    let score = if total > 0.0 {
        (enabled / total * 100.0 - 30.0 * failed / total)
            .max(0.0)
            .round()
    } else {
        0.0
    };
    let mut by_type = Map::new();
    for t in &es.subscribed {
        by_type.insert(t.clone(), json!(1));
    }
    let mut recs = vec![];
    if !es.failed.is_empty() {
        recs.push(format!(
            "{} subscription(s) failing and being retried: {}",
            es.failed.len(),
            es.failed.join(", ")
        ));
    }
    if !es.refused.is_empty() {
        recs.push(format!(
            "Twitch refused {}: check the token's scopes (landale twitch login)",
            es.refused.join(", ")
        ));
    }
    if !es.skipped.is_empty() {
        recs.push(format!(
            "{} type(s) skipped for missing scopes: sign in again to grant them",
            es.skipped.len()
        ));
    }
    if total == 0.0 {
        recs.push(if signed_in {
            "no subscriptions yet: EventSub is connecting".into()
        } else {
            "sign in with `landale twitch login` to receive Twitch events".into()
        });
    } else if enabled < 3.0 {
        recs.push("fewer than 3 subscriptions are enabled".into());
    }
    let status = if total == 0.0 {
        "no_subscriptions"
    } else if !es.refused.is_empty() || failed / total > 0.5 {
        "degraded"
    } else if failed > 0.0 || !es.skipped.is_empty() {
        "warning"
    } else {
        "healthy"
    };
    let code = if status == "degraded" {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::OK
    };
    (
        code,
        json!({
            "status": status,
            "timestamp": landale_core::ids::now_iso(),
            "subscription_health": {
                "total_subscriptions": total as u64, "enabled_subscriptions": enabled as u64,
                "failed_subscriptions": failed as u64, "orphaned_subscriptions": 0,
                "skipped_subscriptions": es.skipped.len(),
                "subscriptions_by_type": by_type,
                "subscriptions_by_status": {"enabled": enabled as u64, "failed": es.failed.len(), "refused": es.refused.len()},
                "session_id": es.session_id, "state": es.state, "cost": es.subscription_cost,
            },
            "recommendations": recs,
            "summary": {"health_score": score, "critical_issues": es.refused.len(), "last_cleanup": null},
        }),
    )
}

async fn health(State(t): State<Arc<Twitch>>) -> Response {
    let signed_in = matches!(
        t.tokens.state(),
        crate::tokens::TokenState::Valid { .. } | crate::tokens::TokenState::Degraded { .. }
    );
    let (code, body) = report(&t.eventsub.status(), signed_in);
    (code, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_counts_the_session() {
        let mut es = Status {
            subscription_count: 10,
            subscribed: vec!["channel.follow".into()],
            ..Status::default()
        };
        let (code, r) = report(&es, true);
        assert_eq!(
            (
                code,
                r["status"].clone(),
                r["summary"]["health_score"].clone()
            ),
            (StatusCode::OK, json!("healthy"), json!(100.0))
        );
        es.failed = vec!["channel.cheer".into()];
        let (_, r) = report(&es, true);
        assert_eq!(r["status"], "warning");
        assert_eq!(r["subscription_health"]["total_subscriptions"], 11);
        es.refused = vec!["channel.raid".into()];
        assert_eq!(report(&es, true).0, StatusCode::SERVICE_UNAVAILABLE);
        let (code, r) = report(&Status::default(), false);
        assert_eq!(
            (code, r["status"].clone()),
            (StatusCode::OK, json!("no_subscriptions"))
        );
        assert!(r["recommendations"][0]
            .as_str()
            .unwrap()
            .contains("landale twitch login"));
    }

    #[test]
    fn types_come_from_the_catalogue() {
        let d = types_document();
        let follow = d["channel"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == "channel.follow")
            .unwrap();
        assert_eq!(follow["version"], "2");
        assert_eq!(follow["scopes"], json!(["moderator:read:followers"]));
        assert!(d["stream"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "stream.online"));
    }
}
