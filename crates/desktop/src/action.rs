//! What the tray menu and the hotkeys can do, in the words the settings file uses
//! (`skip_alert`, `scene:Be Right Back`, ...), and the hub request each one is.

use std::fmt;
use std::str::FromStr;

/// The takeover presets the tray offers (the `custom` takeover needs a message, so it
/// stays on the dashboard).
pub const TAKEOVER_PRESETS: [(&str, &str); 3] = [
    ("technical-difficulties", "Technical difficulties"),
    ("screen-cover", "Screen cover"),
    ("please-stand-by", "Please stand by"),
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    OpenDashboard,
    SkipAlert,
    PauseQueue,
    ResumeQueue,
    /// Pause when running, resume when paused (one hotkey for both).
    ToggleQueue,
    Takeover(String),
    ClearTakeover,
    /// Technical difficulties on when no takeover shows, off when it does.
    TechnicalDifficulties,
    Scene(String),
    Restart {
        machine: String,
        process: String,
    },
}

/// A hub request: `POST path` with an optional JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub path: String,
    pub body: Option<serde_json::Value>,
}

fn post(path: impl Into<String>) -> Request {
    Request {
        path: path.into(),
        body: None,
    }
}

/// One path segment, percent-encoded (scene names have spaces).
pub fn segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Action {
    /// The request this action is, given what the hub showed last: whether the queue
    /// is paused and whether a takeover is on screen (the toggles need them).
    /// `None` for an action that is not a hub request (opening the dashboard).
    pub fn request(&self, paused: bool, takeover_on: bool) -> Option<Request> {
        let stream = |c: &str| post(format!("/api/stream/{c}"));
        Some(match self {
            Action::OpenDashboard => return None,
            Action::SkipAlert => stream("skip_current"),
            Action::PauseQueue => stream("pause_queue"),
            Action::ResumeQueue => stream("resume_queue"),
            Action::ToggleQueue if paused => stream("resume_queue"),
            Action::ToggleQueue => stream("pause_queue"),
            Action::TechnicalDifficulties if takeover_on => stream("takeover_clear"),
            Action::TechnicalDifficulties => {
                Action::Takeover("technical-difficulties".into()).request(paused, takeover_on)?
            }
            Action::Takeover(kind) => Request {
                path: "/api/stream/takeover".into(),
                body: Some(serde_json::json!({"type": kind})),
            },
            Action::ClearTakeover => stream("takeover_clear"),
            Action::Scene(name) => post(format!("/api/obs/scene/{}", segment(name))),
            Action::Restart { machine, process } => post(format!(
                "/api/fleet/{}/{}/restart",
                segment(machine),
                segment(process)
            )),
        })
    }

    /// Whether the action needs the queue and takeover state read first.
    pub fn is_toggle(&self) -> bool {
        matches!(self, Action::ToggleQueue | Action::TechnicalDifficulties)
    }

    /// What the streamer reads in a menu or a notification.
    pub fn label(&self) -> String {
        match self {
            Action::OpenDashboard => "Open dashboard".into(),
            Action::SkipAlert => "Skip alert".into(),
            Action::PauseQueue => "Pause queue".into(),
            Action::ResumeQueue => "Resume queue".into(),
            Action::ToggleQueue => "Pause or resume queue".into(),
            Action::Takeover(kind) => TAKEOVER_PRESETS
                .iter()
                .find(|(k, _)| k == kind)
                .map(|(_, l)| (*l).to_string())
                .unwrap_or_else(|| format!("Takeover: {kind}")),
            Action::ClearTakeover => "Clear takeover".into(),
            Action::TechnicalDifficulties => "Technical difficulties on/off".into(),
            Action::Scene(name) => format!("Scene: {name}"),
            Action::Restart { machine, process } => format!("Restart {process} on {machine}"),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct UnknownAction(pub String);

impl fmt::Display for UnknownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown action {:?}: use skip_alert, pause_queue, resume_queue, toggle_queue, \
             technical_difficulties, clear_takeover, open_dashboard, takeover:<type>, \
             scene:<name> or restart:<machine>/<process>",
            self.0
        )
    }
}

impl std::error::Error for UnknownAction {}

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Action, UnknownAction> {
        let unknown = || UnknownAction(s.to_string());
        let named = |rest: &str| {
            let rest = rest.trim();
            (!rest.is_empty())
                .then(|| rest.to_string())
                .ok_or_else(unknown)
        };
        Ok(match s.trim() {
            "open_dashboard" => Action::OpenDashboard,
            "skip_alert" => Action::SkipAlert,
            "pause_queue" => Action::PauseQueue,
            "resume_queue" => Action::ResumeQueue,
            "toggle_queue" => Action::ToggleQueue,
            "technical_difficulties" => Action::TechnicalDifficulties,
            "clear_takeover" => Action::ClearTakeover,
            t => {
                if let Some(rest) = t.strip_prefix("scene:") {
                    Action::Scene(named(rest)?)
                } else if let Some(rest) = t.strip_prefix("takeover:") {
                    Action::Takeover(named(rest)?)
                } else if let Some(rest) = t.strip_prefix("restart:") {
                    let (machine, process) = rest.split_once('/').ok_or_else(unknown)?;
                    Action::Restart {
                        machine: named(machine)?,
                        process: named(process)?,
                    }
                } else {
                    return Err(unknown());
                }
            }
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::OpenDashboard => f.write_str("open_dashboard"),
            Action::SkipAlert => f.write_str("skip_alert"),
            Action::PauseQueue => f.write_str("pause_queue"),
            Action::ResumeQueue => f.write_str("resume_queue"),
            Action::ToggleQueue => f.write_str("toggle_queue"),
            Action::TechnicalDifficulties => f.write_str("technical_difficulties"),
            Action::ClearTakeover => f.write_str("clear_takeover"),
            Action::Takeover(k) => write!(f, "takeover:{k}"),
            Action::Scene(n) => write!(f, "scene:{n}"),
            Action::Restart { machine, process } => write!(f, "restart:{machine}/{process}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_words() {
        let all = [
            Action::OpenDashboard,
            Action::SkipAlert,
            Action::PauseQueue,
            Action::ResumeQueue,
            Action::ToggleQueue,
            Action::TechnicalDifficulties,
            Action::ClearTakeover,
            Action::Takeover("screen-cover".into()),
            Action::Scene("Be Right Back".into()),
            Action::Restart {
                machine: "streaming".into(),
                process: "phononmaser".into(),
            },
        ];
        for a in all {
            assert_eq!(a.to_string().parse::<Action>(), Ok(a.clone()), "{a}");
        }
    }

    #[test]
    fn words_that_are_no_action_say_what_would_be() {
        for bad in ["", "skip", "scene:", "restart:streaming", "restart:/x"] {
            let e = bad.parse::<Action>().unwrap_err();
            assert!(e.to_string().contains("skip_alert"), "{e}");
        }
    }

    #[test]
    fn toggles_follow_what_the_hub_showed_last() {
        let path = |a: Action, paused, on| a.request(paused, on).unwrap().path;
        assert_eq!(
            path(Action::ToggleQueue, false, false),
            "/api/stream/pause_queue"
        );
        assert_eq!(
            path(Action::ToggleQueue, true, false),
            "/api/stream/resume_queue"
        );
        let on = Action::TechnicalDifficulties.request(false, false).unwrap();
        assert_eq!(on.path, "/api/stream/takeover");
        assert_eq!(on.body.unwrap()["type"], "technical-difficulties");
        assert_eq!(
            path(Action::TechnicalDifficulties, false, true),
            "/api/stream/takeover_clear"
        );
    }

    #[test]
    fn names_with_spaces_and_slashes_are_one_segment() {
        let r = Action::Scene("Be Right/Back".into())
            .request(false, false)
            .unwrap();
        assert_eq!(r.path, "/api/obs/scene/Be%20Right%2FBack");
        assert_eq!(Action::OpenDashboard.request(false, false), None);
    }
}
