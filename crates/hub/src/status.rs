//! One place that composes what the hub reports about itself and the parts around
//! it: `/api/health`, `system:status`, the dashboard's telemetry and the
//! `overlay:<integration>` join state. Each part reports a typed [`ServiceStatus`]
//! (the integrations their own, through [`landale_core::Integration`]; phononmaser and seed by
//! probe); the reads differ only in shape, which the original system's clients fix.

use crate::hub::Hub;
use landale_core::ids::now_iso;
use landale_core::ServiceStatus;
use serde_json::{json, Map, Value};

/// What a probed service (phononmaser, seed) said: its state, and the line it gives
/// about itself for the dashboard (its `message` when something is wrong, then its
/// `summary`).
pub(crate) struct Probed {
    pub status: ServiceStatus,
    pub detail: Option<String>,
}

impl Probed {
    /// The reference's entry, with `detail` when the service gave one.
    pub fn entry(&self) -> Value {
        let mut e = self.status.entry();
        if let Some(d) = &self.detail {
            e["detail"] = d.clone().into();
        }
        e
    }
}

/// Probe a service's health URL (3 s limit): working when it answers 2xx, with the
/// `status` it reports (`healthy` when it says none).
pub(crate) async fn probe(http: &reqwest::Client, url: &str) -> Probed {
    let status = match http
        .get(url)
        .timeout(std::time::Duration::from_secs(3))
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => {
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let status = match body.get("status") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => "healthy".into(),
            };
            let said = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
            // What is wrong first (when something is), then the summary.
            let parts: Vec<String> = [said("message"), said("summary")]
                .into_iter()
                .flatten()
                .collect();
            let detail = (!parts.is_empty()).then(|| parts.join(" · "));
            return Probed {
                status: ServiceStatus::up(status),
                detail,
            };
        }
        Ok(r) => ServiceStatus::down(
            "unhealthy",
            format!("Service answered HTTP {}", r.status().as_u16()),
        ),
        Err(e) if e.is_timeout() => ServiceStatus::down("unhealthy", "Connection timed out"),
        Err(_) => ServiceStatus::down("unhealthy", "Service unreachable"),
    };
    Probed {
        status,
        detail: None,
    }
}

async fn database(hub: &Hub) -> ServiceStatus {
    match hub.store.ping().await {
        Ok(()) => ServiceStatus::up("healthy"),
        Err(e) => ServiceStatus::down("unhealthy", e.to_string()),
    }
}

/// `GET /api/health`: every part, and whether the hub itself is healthy (its
/// database reachable); parts that are not running show as such without failing it.
pub(crate) async fn api_health(hub: &Hub) -> (bool, Value) {
    let (db, ph, seed) = tokio::join!(
        database(hub),
        probe(&hub.http, &hub.config.phononmaser_health_url),
        probe(&hub.http, &hub.config.seed_health_url),
    );
    let mut database = json!({"connected": db.connected, "status": db.status});
    match &db.error {
        None => database["engine"] = hub.store.engine().into(),
        Some(e) => database["error"] = e.clone().into(),
    }
    let mut services = Map::new();
    services.insert("database".into(), database);
    for i in &hub.integrations {
        services.insert(i.name().into(), i.health());
    }
    services.insert("phononmaser".into(), ph.entry());
    services.insert("seed".into(), seed.entry());
    services.insert(
        "websocket".into(),
        json!({"connected": true, "sockets": hub.metrics.sockets.get()}),
    );
    let body = json!({
        "status": if db.connected { "healthy" } else { "unhealthy" },
        "timestamp": now_iso(),
        "services": services,
        "system": {"uptime": hub.started.elapsed().as_secs(), "version": landale_protocol::envelope::SERVER_VERSION,
                   "environment": "production", "seq": hub.bus.head()},
    });
    (db.connected, body)
}

/// `system:status` on `overlay:system`: every integration (the IronMON listener is one)
/// and the database, with how many work.
pub(crate) async fn system_status(hub: &Hub) -> Value {
    let db = database(hub).await;
    let secs = hub.started.elapsed().as_secs();
    // (name, state, the entry as `system:status` shows it)
    let mut parts: Vec<(&str, ServiceStatus, Value)> = hub
        .integrations
        .iter()
        .map(|i| (i.name(), i.service_status(), i.system_entry()))
        .collect();
    parts.push(("database", db.clone(), db.entry()));
    let healthy = parts.iter().filter(|(_, s, _)| s.connected).count();
    let total = parts.len();
    let services: Map<String, Value> = parts
        .into_iter()
        .map(|(name, _, entry)| (name.to_string(), entry))
        .collect();
    json!({
        "status": if db.connected { "healthy" } else { "degraded" },
        "timestamp": chrono::Utc::now().timestamp(),
        "uptime": {"seconds": secs, "formatted": format!("{}h {}m {}s", secs / 3600, secs / 60 % 60, secs % 60)},
        "services": services,
        "summary": {"healthy_services": healthy, "total_services": total,
                    "health_percentage": (healthy as f64 / total as f64 * 100.0).round()},
    })
}

/// `telemetry_update` on `dashboard:services`: service health, hub status and
/// transcription figures.
pub(crate) async fn telemetry(hub: &Hub) -> Value {
    let (ph, seed, db) = tokio::join!(
        probe(&hub.http, &hub.config.phononmaser_health_url),
        probe(&hub.http, &hub.config.seed_health_url),
        database(hub),
    );
    let transcription = hub
        .store
        .transcription_analytics()
        .await
        .unwrap_or_else(|_| json!({"error": "Analytics unavailable"}));
    let mut services = Map::new();
    services.insert("phononmaser".into(), ph.entry());
    services.insert("seed".into(), seed.entry());
    for i in &hub.integrations {
        if let Some(entry) = i.telemetry_entry() {
            services.insert(i.name().into(), entry);
        }
    }
    json!({
        "timestamp": chrono::Utc::now().timestamp_millis(),
        "services": services,
        "system": {
            "uptime": hub.started.elapsed().as_secs(),
            "version": landale_protocol::envelope::SERVER_VERSION,
            "environment": "production",
            "status": if db.connected { "healthy" } else { "unhealthy" },
            // The hub's own path, so the dashboard's advice gives commands that work as
            // written (`landale` is rarely on PATH).
            "cli": std::env::current_exe().ok().map(|p| p.display().to_string()),
        },
        "overlays": [],
        "transcription": transcription,
    })
}

/// The `data` of the `initial_state` an `overlay:<kind>` join pushes.
pub(crate) fn overlay_initial(kind: &str, hub: &Hub) -> Value {
    if let Some(i) = hub.integrations.iter().find(|i| i.name() == kind) {
        return i.overlay_initial();
    }
    match kind {
        "ironmon" => landale_core::Integration::overlay_initial(&*hub.ironmon),
        "music" => landale_core::Integration::overlay_initial(&*hub.rainwave),
        "system" => json!({"connected": true, "timestamp": chrono::Utc::now().timestamp()}),
        _ => json!({"connected": true}),
    }
}
