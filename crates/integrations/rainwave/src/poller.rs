//! The one I/O task: poll `info` while enabled and configured; on a change publish
//! `rainwave.update`; on an error record it, clear the song (published once), and
//! wait longer (the poll interval doubling to 5 minutes, with jitter). A control wakes
//! it at once.

use crate::protocol::{read_info, NowPlaying};
use crate::Rainwave;
use landale_core::Backoff;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

pub async fn run(rw: Arc<Rainwave>, mut shutdown: watch::Receiver<bool>) {
    let mut backoff = Backoff::new(rw.settings.poll, Duration::from_secs(300));
    loop {
        let enabled = rw.with(|s| s.enabled);
        let wait = if enabled && rw.has_credentials() {
            match poll(&rw).await {
                Ok(now) => {
                    backoff.reset();
                    apply(&rw, now);
                    rw.settings.poll
                }
                Err(why) => {
                    failed(&rw, why);
                    backoff.next_wait()
                }
            }
        } else {
            Duration::from_secs(86_400)
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = rw.wake.notified() => {}
            _ = shutdown.wait_for(|s| *s) => return,
        }
    }
}

async fn poll(rw: &Rainwave) -> Result<NowPlaying, String> {
    let (Some(key), Some(user)) = (&rw.settings.api_key, &rw.settings.user_id) else {
        return Err("set RAINWAVE_API_KEY and RAINWAVE_USER_ID".into());
    };
    let station = rw.with(|s| {
        s.health.last_call_at = Some(landale_core::ids::now_iso());
        s.station
    });
    let r = rw
        .http
        .post(format!("{}/info", rw.settings.api_url))
        .header("accept", "application/json")
        .form(&[
            ("sid", station.to_string()),
            ("key", key.clone()),
            ("user_id", user.clone()),
        ])
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!(
                    "Rainwave did not answer within {} ms",
                    rw.settings.timeout.as_millis()
                )
            } else if e.is_connect() {
                format!("cannot reach Rainwave at {}", rw.settings.api_url)
            } else {
                format!("network error: {e}")
            }
        })?;
    let code = r.status();
    let body: serde_json::Value = r.json().await.map_err(|e| {
        format!(
            "Rainwave answered HTTP {} with something that is not JSON ({e})",
            code.as_u16()
        )
    })?;
    if !code.is_success() && body.get("error").is_none() {
        return Err(format!("Rainwave answered HTTP {}", code.as_u16()));
    }
    read_info(&body, user, &rw.settings.art_origin)
}

fn apply(rw: &Rainwave, now: NowPlaying) {
    let (changed, song_changed) = rw.with(|s| {
        s.health.successes += 1;
        s.health.consecutive_errors = 0;
        s.health.last_success_at = Some(landale_core::ids::now_iso());
        let song_changed = now.song.as_ref().map(|x| (&x.id, &x.title))
            != s.song.as_ref().map(|x| (&x.id, &x.title));
        let changed = song_changed
            || now.listening != s.listening
            || (now.station_name.is_some() && now.station_name != s.station_name);
        s.listening = now.listening;
        if now.station_name.is_some() {
            s.station_name = now.station_name;
        }
        s.song = now.song;
        (changed, song_changed && s.song.is_some())
    });
    if changed {
        let update = rw.now_playing();
        if song_changed {
            rw.publish("rainwave.song_changed", update.clone());
        }
        rw.publish("rainwave.update", update);
    }
}

fn failed(rw: &Rainwave, why: String) {
    tracing::warn!("rainwave: {why}");
    let had_song = rw.with(|s| {
        s.health.errors += 1;
        s.health.consecutive_errors += 1;
        s.health.last_error = Some(why);
        let had = s.song.is_some() || s.listening;
        s.song = None;
        s.listening = false;
        had
    });
    if had_song {
        let mut update = rw.now_playing();
        update["error"] = json!(rw.with(|s| s.health.last_error.clone()));
        rw.publish("rainwave.update", update);
    }
}
