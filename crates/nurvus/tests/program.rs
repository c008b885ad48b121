//! The `nurvus` program: every route and CLI verb against a running daemon, controls
//! refused without the token, `validate`, and a SIGKILLed nurvus leaving no orphan.

use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NURVUS: &str = env!("CARGO_BIN_EXE_nurvus");
const TOKEN: &str = "nurvus-test-token-0123456789";

struct Daemon {
    child: std::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn daemon(config: &Value) -> Daemon {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("processes.json");
    std::fs::write(&file, config.to_string()).unwrap();
    let port = free_port();
    let child = Command::new(NURVUS)
        .arg("serve")
        .env("NURVUS_PORT", port.to_string())
        .env("NURVUS_CONFIG", &file)
        .env("LANDALE_TOKEN", TOKEN)
        .env("LANDALE_TRUST_LOOPBACK", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nurvus did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    Daemon {
        child,
        port,
        _dir: dir,
    }
}

fn cli(d: &Daemon, args: &[&str], token: bool) -> (i32, String, String) {
    let mut c = Command::new(NURVUS);
    c.args(args)
        .arg("--host")
        .arg(format!("127.0.0.1:{}", d.port))
        .env_remove("LANDALE_TOKEN");
    if token {
        c.env("LANDALE_TOKEN", TOKEN);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into(),
        String::from_utf8_lossy(&o.stderr).into(),
    )
}

fn get(d: &Daemon, path: &str) -> (u16, Value) {
    http::request(
        "GET",
        format!("http://127.0.0.1:{}{path}", d.port),
        None,
        None,
    )
}

/// Blocking requests for these synchronous tests.
mod http {
    pub fn request(
        method: &str,
        url: String,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let c = ::reqwest::Client::new();
            let mut r = match method {
                "POST" => c.post(url),
                "DELETE" => c.delete(url),
                _ => c.get(url),
            };
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            if let Some(b) = body {
                r = r.json(&b);
            }
            let r = r.send().await.unwrap();
            (r.status().as_u16(), r.json().await.unwrap_or_default())
        })
    }
}

fn post(d: &Daemon, path: &str, token: bool) -> (u16, Value) {
    http::request(
        "POST",
        format!("http://127.0.0.1:{}{path}", d.port),
        token.then_some(TOKEN),
        None,
    )
}

fn wait_state(d: &Daemon, id: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, v) = get(d, &format!("/api/processes/{id}"));
        if v["state"] == state {
            return v;
        }
        assert!(Instant::now() < deadline, "{id} never {state}: {v}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn routes_and_verbs_round_trip_and_controls_need_the_token() {
    let d = daemon(&json!([
        {"id": "worker", "name": "Worker", "command": "sh", "args": ["-c", "echo hello from worker; exec sleep 1000"]},
        {"id": "idle", "name": "Idle", "command": "sleep", "args": ["1000"], "autostart": false},
        {"id": "broken", "name": ""}
    ]));
    let w = wait_state(&d, "worker", "running");
    assert!(w["pid"].as_u64().unwrap() > 0);
    let (s, v) = get(&d, "/api/processes");
    assert_eq!(s, 200);
    let ids: Vec<&str> = v["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["idle", "worker"],
        "the broken entry is skipped, the others load"
    );
    assert_eq!(get(&d, "/api/processes/nope").0, 404);
    assert_eq!(get(&d, "/api/nothing").0, 404);
    let (s, h) = get(&d, "/health");
    assert_eq!((s, h["processes"]["running"].as_u64()), (200, Some(1)));
    assert_eq!(get(&d, "/api/system/status").1["total_processes"], 2);
    // Controls without the token are refused, with it they work; stopping a stopped one is 409.
    assert_eq!(post(&d, "/api/processes/idle/start", false).0, 401);
    assert_eq!(
        post(&d, "/api/processes/idle/start", true),
        (200, json!({"status": "started", "process_id": "idle"}))
    );
    assert_eq!(post(&d, "/api/processes/idle/start", true).0, 409);
    assert_eq!(post(&d, "/api/processes/idle/stop", true).0, 200);
    assert_eq!(post(&d, "/api/processes/idle/stop", true).0, 409);
    assert_eq!(post(&d, "/api/processes/nope/stop", true).0, 404);
    // Logs.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, l) = get(&d, "/api/processes/worker/logs?lines=10");
        if l["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["text"] == "hello from worker")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{l}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Add and remove.
    let url = format!("http://127.0.0.1:{}/api/processes", d.port);
    let (s, v) = http::request(
        "POST",
        url.clone(),
        Some(TOKEN),
        Some(json!({"id": "extra", "name": "Extra", "command": "sleep", "args": ["1000"]})),
    );
    assert_eq!((s, v["status"].as_str()), (201, Some("created")));
    let (s, v) = http::request(
        "POST",
        url.clone(),
        Some(TOKEN),
        Some(json!({"id": "bad", "name": "Bad"})),
    );
    assert_eq!(s, 400);
    assert!(
        v["error"].as_str().unwrap().contains("command is required"),
        "{v}"
    );
    let (s, _) = http::request("DELETE", format!("{url}/extra"), Some(TOKEN), None);
    assert_eq!(s, 200);
    assert_eq!(get(&d, "/api/processes/extra").0, 404);
    let metrics = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            ::reqwest::get(format!("http://127.0.0.1:{}/metrics", d.port))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        })
    };
    assert!(
        metrics.contains("nurvus_process_up{id=\"worker\"} 1"),
        "{metrics}"
    );

    // The CLI.
    let (code, out, _) = cli(&d, &["ps"], false);
    assert_eq!(code, 0);
    assert!(
        out.lines()
            .any(|l| l.starts_with("worker") && l.contains("running")),
        "{out}"
    );
    let (code, out, _) = cli(&d, &["status", "--json"], false);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["system"]["total_processes"], 2);
    let (code, _, err) = cli(&d, &["stop", "worker"], false);
    assert_eq!(code, 1);
    assert!(err.contains("token"), "{err}");
    let (code, out, _) = cli(&d, &["restart", "worker"], true);
    assert_eq!((code, out.trim()), (0, "worker: restarted"));
    let (code, out, _) = cli(&d, &["logs", "worker", "-n", "50"], false);
    assert_eq!(code, 0);
    assert!(out.contains("hello from worker"), "{out}");
    let (code, _, err) = cli(&d, &["stop", "nope"], true);
    assert_eq!((code, err.trim()), (1, "nurvus: Process not found"));
}

#[test]
fn validate_prints_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.json");
    std::fs::write(
        &f,
        r#"[{"id":"a","name":"A","command":"true"},{"id":"b","command":"x","max_restarts":-1}]"#,
    )
    .unwrap();
    let o = Command::new(NURVUS)
        .arg("validate")
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("entry 1 (b): name: name is required"), "{err}");
    assert!(err.contains("entry 1 (b): max_restarts:"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("1 processes valid, 2 problems"));
    std::fs::write(&f, "{not json").unwrap();
    let o = Command::new(NURVUS)
        .arg("validate")
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not JSON"));
}

#[cfg(target_os = "linux")]
#[test]
fn a_killed_nurvus_leaves_no_orphan() {
    let mut d =
        daemon(&json!([{"id": "kept", "name": "Kept", "command": "sleep", "args": ["1000"]}]));
    let pid = wait_state(&d, "kept", "running")["pid"].as_u64().unwrap() as i32;
    d.child.kill().unwrap();
    d.child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    // SAFETY: signal 0 only checks for existence.
    while unsafe { libc::kill(pid, 0) } == 0 && !zombie(pid) {
        assert!(Instant::now() < deadline, "the child {pid} outlived nurvus");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(true)
}

fn pid_of(d: &Daemon, id: &str) -> u64 {
    wait_state(d, id, "running")["pid"].as_u64().unwrap()
}

#[test]
fn reload_adds_removes_and_restarts_only_what_changed_and_depends_on_waits() {
    let sleeper = |id: &str, extra: Value| {
        let mut v = json!({"id": id, "name": id, "command": "sleep", "args": ["1000"]});
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        v
    };
    // `late` depends on `slow`, which is healthy only once its port listens: the test
    // opens that port itself, after seeing `late` wait.
    let port = free_port();
    let slow = json!({"id": "slow", "name": "slow", "command": "sleep", "args": ["1000"],
        "health_check": {"type": "tcp", "port": port, "interval": 1, "timeout": 200}});
    let d = daemon(&json!([
        slow,
        sleeper("late", json!({"depends_on": ["slow"]})),
        sleeper("keep", json!({})),
        sleeper("gone", json!({}))
    ]));
    wait_state(&d, "slow", "starting");
    assert_eq!(
        get(&d, "/api/processes/late").1["state"],
        "stopped",
        "late waits for slow to be healthy"
    );
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let late = wait_state(&d, "late", "running");
    let slow_state = get(&d, "/api/processes/slow").1;
    assert_eq!(
        slow_state["health"], "healthy",
        "late started once slow was healthy: {slow_state}"
    );
    assert!(late["started_at"].as_str() > slow_state["started_at"].as_str());
    let keep = pid_of(&d, "keep");
    let before_late = pid_of(&d, "late");

    let file = d._dir.path().join("processes.json");
    let v1: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut v2 = v1.as_array().unwrap().clone();
    v2.retain(|e| e["id"] != "gone");
    for e in v2.iter_mut() {
        if e["id"] == "late" {
            e["args"] = json!(["999"]);
        }
    }
    v2.push(sleeper("new", json!({})));
    std::fs::write(&file, Value::Array(v2.clone()).to_string()).unwrap();
    let (code, out, err) = cli(&d, &["reload", "--json"], true);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["added"], json!(["new"]));
    assert_eq!(r["removed"], json!(["gone"]));
    assert_eq!(r["changed"], json!(["late"]));
    assert_eq!(r["unchanged"], json!(["slow", "keep"]));
    assert_eq!(get(&d, "/api/processes/gone").0, 404);
    assert_eq!(pid_of(&d, "keep"), keep, "unchanged entries are untouched");
    assert!(pid_of(&d, "new") > 0);
    let late_pid = wait_state(&d, "late", "running")["pid"].as_u64().unwrap();
    assert_ne!(late_pid, before_late, "a changed entry is restarted");

    // SIGHUP does the same.
    v2.retain(|e| e["id"] != "new");
    std::fs::write(&file, Value::Array(v2).to_string()).unwrap();
    // SAFETY: sends a signal to the daemon this test started.
    unsafe { libc::kill(d.child.id() as i32, libc::SIGHUP) };
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(&d, "/api/processes/new").0 != 404 {
        assert!(Instant::now() < deadline, "SIGHUP did not reload");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(listener);
}

#[test]
fn install_service_writes_a_user_unit() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("machine.json");
    std::fs::write(&conf, "[]").unwrap();
    let o = Command::new(NURVUS)
        .arg("install-service")
        .arg(&conf)
        .env("XDG_CONFIG_HOME", dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let unit = std::fs::read_to_string(dir.path().join("systemd/user/nurvus.service")).unwrap();
    assert!(
        unit.contains(&format!("ExecStart={NURVUS} serve")),
        "{unit}"
    );
    assert!(
        unit.contains(&format!(
            "Environment=NURVUS_CONFIG={}",
            std::fs::canonicalize(&conf).unwrap().display()
        )),
        "{unit}"
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("systemctl --user enable --now nurvus"));
}

/// The process files the repository ships (`deploy/`) validate, with the variables
/// they name set; without one, the entry that needs it is named.
#[test]
fn the_deploy_files_validate() {
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    for file in [
        "demo.json",
        "two-machines/streaming-pc.json",
        "two-machines/services-host.json",
    ] {
        let o = Command::new(NURVUS)
            .arg("validate")
            .arg(deploy.join(file))
            .env("LANDALE_BIN_DIR", "/opt/landale")
            .env("LANDALE_ROOT", "/srv/landale")
            .env("WHISPER_MODEL_PATH", "/models/whisper")
            .env("LANDALE_TOKEN", "0123456789abcdef0123")
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{file}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = Command::new(NURVUS)
        .arg("validate")
        .arg(deploy.join("demo.json"))
        .env_remove("LANDALE_BIN_DIR")
        .env("LANDALE_ROOT", "/srv/landale")
        .env("WHISPER_MODEL_PATH", "/models/whisper")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "entry 0 (landale): command: ${LANDALE_BIN_DIR} is not set in nurvus's environment"
        ),
        "{err}"
    );
}
