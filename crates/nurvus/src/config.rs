//! The process file: the reference's JSON array of entries (machine files load
//! unchanged), checked entry by entry. A bad entry is reported with its index, id and
//! field, and the others still load.

use crate::platform;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// `GET url`; the body's `status` says healthy, degraded or unhealthy.
    Http(String),
    /// A TCP connect to this port on loopback.
    Tcp(u16),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    pub probe: Probe,
    pub interval: Duration,
    pub timeout: Duration,
    /// Failed probes in a row before the process is `unhealthy`.
    pub failures: u32,
    /// While starting, probe this often ...
    pub startup_interval: Duration,
    /// ... this many times before giving up on it (`unhealthy`); until the first
    /// success the process is `starting`, not `running`.
    pub startup_retries: u32,
}

/// Captured output also written to a file, rotated at a size cap.
#[derive(Debug, Clone, PartialEq)]
pub struct LogFile {
    pub path: std::path::PathBuf,
    pub max_bytes: u64,
    /// Rotated files kept (`path.1` … `path.N`).
    pub keep: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub name: String,
    pub command: String,
    pub args: Vec<String>,
    pub cwd: Option<String>,
    pub env: BTreeMap<String, String>,
    pub auto_restart: bool,
    /// Started when nurvus starts (default true).
    pub autostart: bool,
    pub max_restarts: u32,
    pub restart_window: Duration,
    /// A program a person may start themselves: its executable name.
    pub detect: Option<String>,
    pub health: Option<Health>,
    pub restart_on_unhealthy: bool,
    pub stop_command: Option<(String, Vec<String>)>,
    pub stop_signal: platform::Signal,
    pub stop_timeout: Duration,
    /// Ports it listens on, checked free before a start.
    pub ports: Vec<u16>,
    pub log_lines: usize,
    pub log_file: Option<LogFile>,
    /// Started only once these are running (and healthy, when they have a check).
    pub depends_on: Vec<String>,
}

/// One problem: which entry, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    pub index: usize,
    pub id: Option<String>,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(
                f,
                "entry {} ({id}): {}: {}",
                self.index, self.field, self.message
            ),
            None => write!(f, "entry {}: {}: {}", self.index, self.field, self.message),
        }
    }
}

/// The reference's env keys that name ports.
const PORT_KEYS: [&str; 5] = [
    "PORT",
    "HEALTH_PORT",
    "WEBSOCKET_PORT",
    "HTTP_PORT",
    "API_PORT",
];

struct Reader<'a> {
    o: &'a Map<String, Value>,
    index: usize,
    id: Option<String>,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    fn bad(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            index: self.index,
            id: self.id.clone(),
            field: field.into(),
            message: message.into(),
        });
    }
    fn text(&mut self, k: &str, required: bool) -> Option<String> {
        match self.o.get(k) {
            None | Some(Value::Null) if !required => None,
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::String(_)) if !required => None,
            _ => {
                self.bad(
                    k,
                    format!(
                        "{k} {} a non-empty string",
                        if required {
                            "is required and must be"
                        } else {
                            "must be"
                        }
                    ),
                );
                None
            }
        }
    }
    fn strings(&mut self, k: &str) -> Vec<String> {
        match self.o.get(k) {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            _ => {
                self.bad(k, format!("{k} must be a list of strings"));
                vec![]
            }
        }
    }
    fn flag(&mut self, k: &str, default: bool) -> bool {
        match self.o.get(k) {
            None | Some(Value::Null) => default,
            Some(Value::Bool(b)) => *b,
            _ => {
                self.bad(k, format!("{k} must be a boolean"));
                default
            }
        }
    }
    fn count(&mut self, k: &str, default: u64, max: u64) -> u64 {
        match self.o.get(k) {
            None | Some(Value::Null) => default,
            Some(v) => match v.as_u64() {
                Some(n) if n <= max => n,
                _ => {
                    self.bad(k, format!("{k} must be a whole number from 0 to {max}"));
                    default
                }
            },
        }
    }
}

/// `${NAME}` and `${NAME:-default}` in a string, from nurvus's own environment (so
/// one process file serves machines whose paths differ). `$$` is a `$`.
pub fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = r
                .find('}')
                .ok_or_else(|| format!("unclosed ${{ in {s:?}"))?;
            let (name, default) = match r[..end].split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (&r[..end], None),
            };
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!("${{{name}}} is not a variable name"));
            }
            match (env(name).filter(|v| !v.is_empty()), default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!("${{{name}}} is not set in nurvus's environment"))
                }
            }
            rest = &r[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Expand every string of an entry; each failure is a problem naming its field.
fn expand_entry(v: &Value, path: &str, problems: &mut Vec<(String, String)>) -> Value {
    let env = |k: &str| std::env::var(k).ok();
    match v {
        Value::String(s) => match expand(s, &env) {
            Ok(e) => Value::String(e),
            Err(why) => {
                problems.push((path.to_string(), why));
                v.clone()
            }
        },
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| expand_entry(x, &format!("{path}[{i}]"), problems))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    (k.clone(), expand_entry(x, &p, problems))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn entry(index: usize, raw: &Value) -> Result<Entry, Vec<Problem>> {
    let mut unset = vec![];
    let expanded = expand_entry(raw, "", &mut unset);
    let v = &expanded;
    let Some(o) = v.as_object() else {
        return Err(vec![Problem {
            index,
            id: None,
            field: "entry".into(),
            message: "must be an object".into(),
        }]);
    };
    if !unset.is_empty() {
        let id = o.get("id").and_then(Value::as_str).map(str::to_owned);
        return Err(unset
            .into_iter()
            .map(|(field, message)| Problem {
                index,
                id: id.clone(),
                field,
                message,
            })
            .collect());
    }
    let mut r = Reader {
        o,
        index,
        id: o.get("id").and_then(Value::as_str).map(str::to_owned),
        problems: vec![],
    };
    let id = r.text("id", true).unwrap_or_default();
    if !id.is_empty()
        && !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        r.bad(
            "id",
            "id may use letters, digits, '-', '_' and '.' only (it is part of URLs)",
        );
    }
    let name = r.text("name", true).unwrap_or_default();
    let command = r.text("command", true).unwrap_or_default();
    let args = r.strings("args");
    let cwd = r.text("cwd", false);
    let mut env = BTreeMap::new();
    match o.get("env") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match v {
                    Value::String(s) => {
                        env.insert(k.clone(), s.clone());
                    }
                    Value::Number(n) => {
                        env.insert(k.clone(), n.to_string());
                    }
                    Value::Bool(b) => {
                        env.insert(k.clone(), b.to_string());
                    }
                    _ => r.bad(&format!("env.{k}"), "env values must be strings or numbers"),
                }
            }
        }
        Some(_) => r.bad("env", "env must be a map"),
    }
    let auto_restart = r.flag("auto_restart", false);
    let autostart = r.flag("autostart", true);
    let max_restarts = r.count("max_restarts", 3, 1000) as u32;
    let restart_window = Duration::from_secs(r.count("restart_window", 60, 86_400));
    if let Some(p) = o.get("platform").filter(|p| !p.is_null()) {
        if !p
            .as_str()
            .is_some_and(|p| ["win32", "darwin", "linux"].contains(&p))
        {
            r.bad("platform", "platform must be one of: win32, darwin, linux");
        }
    }
    let detect = match o.get("process_detection") {
        None | Some(Value::Null) => None,
        Some(Value::Object(d)) => match d
            .get("name")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
        {
            Some(n) => Some(n.trim().to_string()),
            None if d.get("type").and_then(Value::as_str) == Some("docker") => None,
            None => {
                r.bad(
                    "process_detection.name",
                    "process_detection needs the program's name",
                );
                None
            }
        },
        Some(_) => {
            r.bad("process_detection", "process_detection must be a map");
            None
        }
    };
    let health = match o.get("health_check") {
        None | Some(Value::Null) => None,
        Some(Value::Object(h)) => {
            let secs = |k: &str, default: u64| {
                h.get(k)
                    .and_then(Value::as_u64)
                    .filter(|n| *n > 0)
                    .unwrap_or(default)
            };
            let probe = match (
                h.get("type").and_then(Value::as_str),
                h.get("url").and_then(Value::as_str),
                h.get("port").and_then(Value::as_u64),
            ) {
                (Some("tcp"), _, Some(p)) if p > 0 && p < 65536 => Some(Probe::Tcp(p as u16)),
                (Some("tcp"), _, _) => {
                    r.bad("health_check.port", "a tcp health check needs a port");
                    None
                }
                (_, Some(u), _) if u.starts_with("http://") || u.starts_with("https://") => {
                    Some(Probe::Http(u.to_string()))
                }
                (_, Some(_), _) => {
                    r.bad(
                        "health_check.url",
                        "url must start with http:// or https://",
                    );
                    None
                }
                _ => None,
            };
            probe.map(|probe| Health {
                probe,
                // The reference wrote seconds for interval, milliseconds for timeout.
                interval: Duration::from_secs(secs("interval", 30)),
                timeout: Duration::from_millis(secs("timeout", 5000).max(100)),
                failures: secs("failures", 3) as u32,
                startup_interval: Duration::from_secs_f64(
                    h.get("startup_interval")
                        .and_then(Value::as_f64)
                        .filter(|n| *n > 0.0 && *n <= 3600.0)
                        .unwrap_or(1.0),
                ),
                startup_retries: secs("startup_retries", 60) as u32,
            })
        }
        Some(_) => {
            r.bad("health_check", "health_check must be a map");
            None
        }
    };
    let restart_on_unhealthy = r.flag("restart_on_unhealthy", false);
    let stop_command = r.text("stop_command", false);
    let stop_args = r.strings("stop_args");
    let stop_command = stop_command.map(|c| (c, stop_args));
    let stop_signal = match o.get("stop_signal").and_then(Value::as_str) {
        None => platform::TERM,
        Some(s) => platform::signal_named(s).unwrap_or_else(|| {
            r.bad(
                "stop_signal",
                "stop_signal must be one of TERM, INT, HUP, QUIT, KILL, USR1, USR2",
            );
            platform::TERM
        }),
    };
    let stop_timeout = Duration::from_secs(r.count("stop_timeout", 10, 3600));
    let mut ports: Vec<u16> = PORT_KEYS
        .iter()
        .filter_map(|k| env.get(*k))
        .filter_map(|v| v.parse().ok())
        .collect();
    match o.get("port") {
        None | Some(Value::Null) => {}
        Some(p) => match p.as_u64().filter(|p| (1..65536).contains(p)) {
            Some(p) => ports.push(p as u16),
            None => r.bad("port", "port must be a number from 1 to 65535"),
        },
    }
    ports.sort();
    ports.dedup();
    let log_lines = r.count("log_lines", 2000, 1_000_000).max(10) as usize;
    let log_file = r.text("log_file", false).map(|path| LogFile {
        path: path.into(),
        max_bytes: r.count("log_max_bytes", 10 << 20, 1 << 40).max(4096),
        keep: r.count("log_files", 3, 100) as u32,
    });
    let depends_on = r.strings("depends_on");
    if depends_on.contains(&id) {
        r.bad("depends_on", "a process cannot depend on itself");
    }
    if !r.problems.is_empty() {
        return Err(r.problems);
    }
    Ok(Entry {
        id,
        name,
        command,
        args,
        cwd,
        env,
        auto_restart,
        autostart,
        max_restarts,
        restart_window,
        detect,
        health,
        restart_on_unhealthy,
        stop_command,
        stop_signal,
        stop_timeout,
        ports,
        log_lines,
        log_file,
        depends_on,
    })
}

/// The entries that are good, and every problem. `Err` when the file as a whole
/// cannot be read (not JSON, not an array).
pub fn parse(text: &str) -> Result<(Vec<Entry>, Vec<Problem>), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let Value::Array(items) = v else {
        return Err("the file must be a JSON array of process entries".into());
    };
    let mut good: Vec<Entry> = vec![];
    let mut problems = vec![];
    for (i, item) in items.iter().enumerate() {
        match entry(i, item) {
            Ok(e) => {
                if let Some(first) = good.iter().position(|g| g.id == e.id) {
                    problems.push(Problem {
                        index: i,
                        id: Some(e.id.clone()),
                        field: "id".into(),
                        message: format!("duplicate id (already used by entry {first})"),
                    });
                } else {
                    good.push(e);
                }
            }
            Err(p) => problems.extend(p),
        }
    }
    // Every dependency must be an entry that loaded.
    let ids: Vec<String> = good.iter().map(|e| e.id.clone()).collect();
    for (i, e) in good.iter().enumerate() {
        for d in &e.depends_on {
            if !ids.contains(d) {
                problems.push(Problem {
                    index: i,
                    id: Some(e.id.clone()),
                    field: "depends_on".into(),
                    message: format!("{d} is not a process in this file"),
                });
            }
        }
    }
    Ok((good, problems))
}

pub fn load(path: &std::path::Path) -> Result<(Vec<Entry>, Vec<Problem>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_expanded_and_an_unset_one_is_named() {
        let env = |k: &str| match k {
            "BIN" => Some("/opt/landale".to_string()),
            _ => None,
        };
        assert_eq!(expand("${BIN}/seed", &env).unwrap(), "/opt/landale/seed");
        assert_eq!(expand("${PORT:-7175} $$5 $x", &env).unwrap(), "7175 $5 $x");
        assert_eq!(
            expand("${NOPE}/x", &env).unwrap_err(),
            "${NOPE} is not set in nurvus's environment"
        );
        assert!(expand("${BIN", &env).is_err());
        let (good, problems) = parse(
            r#"[{"id":"a","name":"a","command":"${NURVUS_TEST_SURELY_UNSET}/x"},
                {"id":"b","name":"b","command":"${NURVUS_TEST_SURELY_UNSET:-sleep}","args":["1"]}]"#,
        )
        .unwrap();
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].command, "sleep");
        assert_eq!(problems[0].field, "command");
        assert_eq!(problems[0].id.as_deref(), Some("a"));
    }

    #[test]
    fn the_reference_machine_files_load() {
        let zelan = r#"[{"id":"phononmaser","name":"Phononmaser","command":"uv","args":["run","python","-m","src.main"],"cwd":"apps/phononmaser",
            "env":{"PORT":8889,"HEALTH_PORT":"8890","NURVUS_MANAGED":"true"},"auto_restart":true,"max_restarts":3,"restart_window":60,
            "platform":"darwin","health_check":{"type":"http","url":"http://localhost:8890/health","interval":30}},
          {"id":"landale-stack","name":"Stack","command":"docker-compose","args":["up","-d"],"auto_restart":true,
            "process_detection":{"type":"docker","check_command":"docker-compose","check_args":["ps","-q"],"containers":["a"]},
            "stop_command":"docker-compose","stop_args":["down"]},
          {"id":"obs-studio","name":"OBS","command":"obs64.exe","process_detection":{"name":"obs64.exe","check_command":"tasklist"}}]"#;
        let (good, problems) = parse(zelan).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(good.len(), 3);
        assert_eq!(good[0].ports, [8889, 8890]);
        assert_eq!(
            good[0].health.as_ref().unwrap().probe,
            Probe::Http("http://localhost:8890/health".into())
        );
        assert_eq!(
            good[1].stop_command,
            Some(("docker-compose".into(), vec!["down".into()]))
        );
        assert_eq!(good[2].detect.as_deref(), Some("obs64.exe"));
    }

    #[test]
    fn a_bad_entry_is_named_and_the_others_load() {
        let (good, problems) = parse(
            r#"[{"id":"ok","name":"ok","command":"true"},
            {"id":"bad","name":"","command":"x","args":"nope","auto_restart":"yes"},
            {"id":"ok","name":"again","command":"true"}, 7]"#,
        )
        .unwrap();
        assert_eq!(good.len(), 1);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            text,
            [
                "entry 1 (bad): name: name is required and must be a non-empty string",
                "entry 1 (bad): args: args must be a list of strings",
                "entry 1 (bad): auto_restart: auto_restart must be a boolean",
                "entry 2 (ok): id: duplicate id (already used by entry 0)",
                "entry 3: entry: must be an object",
            ]
        );
        assert!(parse("{}").unwrap_err().contains("JSON array"));
        assert!(parse("[").unwrap_err().starts_with("not JSON"));
    }
}
