//! The fleet's health as the tray shows it: one level (its colour) and one line per
//! part (its tooltip), derived from what the hub answered. Pure: the tests feed it
//! answers and read the tray.
//!
//! Parts: the hub link (can the app reach the hub at all), the database, OBS,
//! Twitch, phononmaser and seed (as the hub probes them), and every nurvus machine
//! with its processes. A part the streamer has not set up (`not_configured`,
//! `disabled`, `off`) is listed as off and never colours the tray.

use serde_json::Value;
use std::collections::BTreeSet;

/// What one poll of the hub read. `hub` is `Err` (with the reason, in words) when the
/// hub did not answer its health read; the other reads are `Null` when they failed.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub hub: Result<(), String>,
    /// `GET /api/health`.
    pub health: Value,
    /// `GET /api/fleet`: `{"machines": [{name, reachable, error, processes}]}`.
    pub fleet: Value,
    /// `GET /api/queue`'s data: `is_paused`, `takeover`.
    pub queue: Value,
    /// `GET /api/obs/stats`'s data: `service_state.streaming`, `obs_internal`.
    pub obs: Value,
    /// The probed services (phononmaser, seed) seen working earlier in this run of the
    /// app. One never seen up is "not running" (off: a setup without it), not a
    /// failure; once seen, going down is one.
    pub seen_up: BTreeSet<String>,
}

impl Snapshot {
    pub fn unreachable(reason: impl Into<String>) -> Snapshot {
        Snapshot {
            hub: Err(reason.into()),
            health: Value::Null,
            fleet: Value::Null,
            queue: Value::Null,
            obs: Value::Null,
            seen_up: BTreeSet::new(),
        }
    }

    /// The probed services that answer as working in this poll.
    pub fn probed_up(&self) -> Vec<String> {
        PROBED
            .iter()
            .filter(|k| {
                class(
                    self.health["services"][**k]["status"]
                        .as_str()
                        .unwrap_or(""),
                ) == Level::Ok
            })
            .map(|k| k.to_string())
            .collect()
    }

    /// Whether a probed service is down without ever having been up (not running here).
    pub fn never_up(&self, key: &str) -> bool {
        PROBED.contains(&key) && !self.seen_up.contains(key)
    }

    pub fn paused(&self) -> bool {
        self.queue["is_paused"] == true
    }

    pub fn takeover_on(&self) -> bool {
        !self.queue["takeover"].is_null()
    }
}

/// The services the hub probes (not integrations of its own).
pub const PROBED: [&str; 2] = ["phononmaser", "seed"];

/// Worst last: the tray shows the worst level of any part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not set up: shown, never counted.
    Off,
    Ok,
    /// Working but not fully (reconnecting, starting, degraded).
    Warn,
    /// Failed, unreachable, or needs the streamer.
    Down,
    /// The hub itself cannot be reached: nothing else is known.
    Offline,
}

impl Level {
    /// The tray icon's colour (RGB).
    pub fn colour(self) -> [u8; 3] {
        match self {
            Level::Ok => [34, 197, 94],
            Level::Warn => [245, 158, 11],
            Level::Down => [239, 68, 68],
            Level::Off | Level::Offline => [148, 163, 184],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    pub level: Level,
    /// What is wrong, in words (empty when all is well).
    pub detail: String,
}

/// A process nurvus gave up on (or that is unhealthy): the tray offers its restart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Failed {
    pub machine: String,
    pub process: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tray {
    pub level: Level,
    pub tooltip: String,
    pub parts: Vec<Part>,
    pub failed: Vec<Failed>,
    pub paused: bool,
    pub takeover_on: bool,
}

/// How the hub classes a status word (the same classes as `/api/services/system-health`).
pub fn class(status: &str) -> Level {
    match status {
        "healthy" | "ok" | "ready" | "running" => Level::Ok,
        "degraded" | "warning" | "reconnecting" | "connecting" | "starting" => Level::Warn,
        "not_configured" | "disabled" | "off" => Level::Off,
        _ => Level::Down,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// One service entry of `/api/health` (`{status, connected, error|reason|last_error}`).
fn service(name: &str, entry: &Value) -> Part {
    if entry.is_null() {
        return Part {
            name: name.into(),
            level: Level::Off,
            detail: "not reported by the hub".into(),
        };
    }
    let status = text(entry, "status").unwrap_or_else(|| "unknown".into());
    let mut level = class(&status);
    if level == Level::Ok && entry["connected"] == false {
        level = Level::Down;
    }
    let why = ["error", "reason", "last_error", "detail"]
        .iter()
        .find_map(|k| text(entry, k));
    let detail = match (level, name, status.as_str()) {
        (Level::Ok | Level::Off, _, _) => String::new(),
        (_, "Twitch", "needs_login") => "needs a login (open the dashboard's Twitch panel)".into(),
        (_, "OBS", _) if entry["connected"] == false => match why {
            Some(w) => format!("disconnected ({w})"),
            None => "disconnected".into(),
        },
        (_, _, "unknown" | "unhealthy") => why.unwrap_or(status.clone()),
        (_, _, s) => match why {
            Some(w) => format!("{s}: {w}"),
            None => s.to_string(),
        },
    };
    Part {
        name: name.into(),
        level,
        detail,
    }
}

/// Every machine of the fleet and each of its processes that is not well.
fn fleet(fleet: &Value, parts: &mut Vec<Part>, failed: &mut Vec<Failed>) {
    let empty = vec![];
    for m in fleet["machines"].as_array().unwrap_or(&empty) {
        let machine = text(m, "name").unwrap_or_default();
        if m["reachable"] != true {
            let why = text(m, "error").unwrap_or_else(|| "unreachable".into());
            parts.push(Part {
                name: format!("nurvus@{machine}"),
                level: Level::Down,
                detail: why,
            });
            continue;
        }
        let procs = m["processes"].as_array().unwrap_or(&empty);
        let mut worst = Level::Ok;
        let mut lines = vec![];
        for p in procs {
            let id = text(p, "id").unwrap_or_default();
            let status = text(p, "status").unwrap_or_default();
            let level = match status.as_str() {
                "failed" => Level::Down,
                "starting" => Level::Warn,
                _ if p["health"] == "unhealthy" => Level::Down,
                _ => Level::Ok,
            };
            if level == Level::Ok {
                continue;
            }
            worst = worst.max(level);
            let why = text(p, "error").or_else(|| text(p, "last_exit"));
            let what = if p["health"] == "unhealthy" && status != "failed" {
                "unhealthy".to_string()
            } else {
                status
            };
            lines.push(match why {
                Some(w) => format!("{id} {what} ({w})"),
                None => format!("{id} {what}"),
            });
            if level == Level::Down {
                failed.push(Failed {
                    machine: machine.clone(),
                    process: id,
                });
            }
        }
        parts.push(Part {
            name: format!("nurvus@{machine}"),
            level: worst,
            detail: lines.join(", "),
        });
    }
}

/// The tray for one poll.
pub fn derive(s: &Snapshot) -> Tray {
    if let Err(why) = &s.hub {
        let part = Part {
            name: "hub".into(),
            level: Level::Offline,
            detail: why.clone(),
        };
        return Tray {
            level: Level::Offline,
            tooltip: format!("Landale: the hub cannot be reached ({why})"),
            parts: vec![part],
            failed: vec![],
            paused: false,
            takeover_on: false,
        };
    }
    let services = &s.health["services"];
    let mut parts = vec![Part {
        name: "hub".into(),
        level: Level::Ok,
        detail: String::new(),
    }];
    for (name, key) in [
        ("database", "database"),
        ("OBS", "obs"),
        ("Twitch", "twitch"),
        ("phononmaser", "phononmaser"),
        ("seed", "seed"),
    ] {
        let mut part = service(name, &services[key]);
        if part.level >= Level::Warn && s.never_up(key) {
            part.level = Level::Off;
            part.detail = "not running (not seen up since the app started)".into();
        }
        parts.push(part);
    }
    let mut failed = vec![];
    fleet(&s.fleet, &mut parts, &mut failed);
    let level = parts.iter().map(|p| p.level).max().unwrap_or(Level::Ok);
    let level = if level == Level::Off {
        Level::Ok
    } else {
        level
    };
    let problems: Vec<String> = parts
        .iter()
        .filter(|p| p.level >= Level::Warn)
        .map(|p| format!("{} {}", p.name, p.detail))
        .collect();
    let counted = parts.iter().filter(|p| p.level != Level::Off).count();
    let tooltip = match problems.len() {
        0 => format!("Landale: all {counted} parts well"),
        1 => format!("Landale: {}", problems[0]),
        n => format!("Landale: {n} problems: {}", problems.join("; ")),
    };
    Tray {
        level,
        tooltip,
        parts,
        failed,
        paused: s.paused(),
        takeover_on: s.takeover_on(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn well() -> Snapshot {
        Snapshot {
            hub: Ok(()),
            health: json!({"status": "healthy", "services": {
                "database": {"connected": true, "status": "healthy"},
                "obs": {"connected": true, "status": "healthy"},
                "twitch": {"connected": true, "status": "healthy"},
                "phononmaser": {"connected": true, "status": "healthy"},
                "seed": {"connected": true, "status": "healthy"},
                "rainwave": {"connected": false, "status": "not_configured"},
            }}),
            fleet: json!({"machines": [
                {"name": "streaming", "reachable": true, "processes": [
                    {"id": "phononmaser", "status": "running", "health": "healthy"},
                    {"id": "obs", "status": "stopped"}]},
                {"name": "services", "reachable": true, "processes": [
                    {"id": "landale", "status": "running"}]}]}),
            queue: json!({"is_paused": false, "takeover": null}),
            obs: Value::Null,
            seen_up: PROBED.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn all_well_is_green_and_says_how_many_parts() {
        let t = derive(&well());
        assert_eq!(t.level, Level::Ok);
        assert_eq!(t.tooltip, "Landale: all 8 parts well");
        assert!(t.failed.is_empty());
        // A stopped process is the streamer's choice, not a fault.
        assert!(t.parts.iter().all(|p| p.level <= Level::Ok));
    }

    #[test]
    fn the_hub_out_of_reach_is_grey_and_says_why() {
        let t = derive(&Snapshot::unreachable("connection refused"));
        assert_eq!(t.level, Level::Offline);
        assert_eq!(
            t.tooltip,
            "Landale: the hub cannot be reached (connection refused)"
        );
        assert_eq!(Level::Offline.colour(), Level::Off.colour());
    }

    #[test]
    fn a_failed_process_is_red_and_offered_for_restart() {
        let mut s = well();
        s.fleet["machines"][0]["processes"][0] =
            json!({"id": "phononmaser", "status": "failed", "error": "exited 3 times in 60 s"});
        let t = derive(&s);
        assert_eq!(t.level, Level::Down);
        assert_eq!(
            t.failed,
            vec![Failed {
                machine: "streaming".into(),
                process: "phononmaser".into()
            }]
        );
        assert_eq!(
            t.tooltip,
            "Landale: nurvus@streaming phononmaser failed (exited 3 times in 60 s)"
        );
    }

    #[test]
    fn reconnecting_is_amber_and_several_problems_are_listed() {
        let mut s = well();
        s.health["services"]["obs"] =
            json!({"connected": false, "status": "reconnecting", "last_error": "refused"});
        assert_eq!(derive(&s).level, Level::Warn);
        s.health["services"]["twitch"] = json!({"connected": false, "status": "needs_login"});
        s.fleet["machines"][1] = json!({"name": "services", "reachable": false,
                                        "error": "nurvus is not running at http://saya:4001"});
        let t = derive(&s);
        assert_eq!(t.level, Level::Down);
        assert_eq!(
            t.tooltip,
            "Landale: 3 problems: OBS disconnected (refused); Twitch needs a login (open the \
             dashboard's Twitch panel); nurvus@services nurvus is not running at http://saya:4001"
        );
    }

    #[test]
    fn parts_not_set_up_never_colour_the_tray() {
        let mut s = well();
        s.health["services"]["obs"] = json!({"connected": false, "status": "not_configured"});
        s.health["services"]["seed"] = Value::Null;
        s.fleet = Value::Null;
        let t = derive(&s);
        assert_eq!(t.level, Level::Ok);
        assert_eq!(t.tooltip, "Landale: all 4 parts well");
    }

    #[test]
    fn a_probed_service_never_seen_up_is_not_running_not_failed() {
        let mut s = well();
        s.health["services"]["seed"] =
            json!({"connected": false, "status": "unhealthy", "error": "Service unreachable"});
        s.seen_up.remove("seed");
        let t = derive(&s);
        assert_eq!(t.level, Level::Ok, "{}", t.tooltip);
        let seed = t.parts.iter().find(|p| p.name == "seed").unwrap();
        assert_eq!(seed.level, Level::Off);
        // Once seen up, the same answer is a failure.
        s.seen_up.insert("seed".into());
        assert_eq!(derive(&s).level, Level::Down);
        assert_eq!(s.probed_up(), ["phononmaser"]);
    }

    #[test]
    fn the_queue_and_takeover_state_come_along() {
        let mut s = well();
        s.queue = json!({"is_paused": true, "takeover": {"type": "screen-cover"}});
        let t = derive(&s);
        assert!(t.paused && t.takeover_on);
    }
}

/// The tray icon for a level: a filled disc of its colour on transparency, RGBA,
/// `size` pixels square (edges softened over one pixel).
pub fn icon_rgba(level: Level, size: u32) -> Vec<u8> {
    let [r, g, b] = level.colour();
    let c = size as f64 / 2.0;
    let radius = c - 1.0;
    let mut out = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let d = ((x as f64 + 0.5 - c).powi(2) + (y as f64 + 0.5 - c).powi(2)).sqrt();
            let a = ((radius + 0.5 - d).clamp(0.0, 1.0) * 255.0).round() as u8;
            out.extend_from_slice(&[r, g, b, a]);
        }
    }
    out
}

#[cfg(test)]
mod icon_tests {
    use super::*;

    #[test]
    fn the_icon_is_a_disc_of_the_level_colour() {
        let px = icon_rgba(Level::Down, 32);
        assert_eq!(px.len(), 32 * 32 * 4);
        let at = |x: usize, y: usize| &px[(y * 32 + x) * 4..(y * 32 + x) * 4 + 4];
        assert_eq!(at(16, 16), [239, 68, 68, 255]);
        assert_eq!(at(0, 0)[3], 0, "corners are transparent");
        assert_ne!(Level::Ok.colour(), Level::Warn.colour());
    }
}
