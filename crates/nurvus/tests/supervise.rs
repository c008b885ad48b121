//! Supervision with real child processes (`sh` scripts the tests write): restarts with
//! growing delays until `failed`, a child that ignores SIGTERM, grandchildren, a
//! chatty child, a port conflict, health, and no zombies left behind.

use nurvus::config::parse;
use nurvus::supervisor::{State, Supervisor};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn entry(json: &str) -> nurvus::config::Entry {
    let (mut good, problems) = parse(&format!("[{json}]")).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    good.remove(0)
}

async fn until(
    p: &nurvus::supervisor::Proc,
    what: &str,
    secs: u64,
    f: impl Fn(&nurvus::supervisor::Snapshot) -> bool,
) {
    let mut rx = p.snap.subscribe();
    tokio::time::timeout(Duration::from_secs(secs), rx.wait_for(|s| f(s)))
        .await
        .unwrap_or_else(|_| panic!("{what} within {secs} s; now {:?}", p.snapshot()))
        .unwrap();
}

/// `(state, ppid)` of `pid`, or `None` when it is gone.
fn proc_state(pid: u32) -> Option<(char, u32)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let mut f = rest.split_whitespace();
    Some((f.next()?.chars().next()?, f.next()?.parse().ok()?))
}

/// Zombies whose parent is this test process.
fn my_zombies() -> Vec<u32> {
    let me = std::process::id();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| proc_state(*pid).is_some_and(|(st, ppid)| st == 'Z' && ppid == me))
        .collect()
}

fn gone(pid: u32) -> bool {
    proc_state(pid).is_none_or(|(st, _)| st == 'Z' || st == 'X')
}

/// Wait (at most 5 s) until every pid is gone: a SIGKILLed process takes a moment to
/// exit on a busy machine.
async fn all_gone(pids: &[u32]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pids.iter().all(|p| gone(*p)) {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

#[tokio::test]
async fn a_crash_loop_restarts_with_growing_delays_then_fails() {
    let sup = Supervisor::default();
    sup.add(entry(r#"{"id":"crashy","name":"crashy","command":"sh","args":["-c","echo starting up; exit 3"],"auto_restart":true,"max_restarts":3,"restart_window":60}"#));
    let p = sup.get("crashy").unwrap();
    let t0 = Instant::now();
    p.start().await.unwrap();
    until(&p, "failed after 3 restarts", 30, |s| {
        s.state == State::Failed
    })
    .await;
    let s = p.snapshot();
    assert_eq!(s.restarts, 3);
    let err = s.error.unwrap();
    assert!(
        err.starts_with("gave up: 3 restarts within 60 s; last: exit code 3; last lines:"),
        "{err}"
    );
    assert!(err.contains("starting up"), "{err}");
    // Waits of about 1, 2 and 4 s (±20 %): at least 5.6 s in all.
    assert!(
        t0.elapsed() >= Duration::from_millis(5600),
        "{:?}",
        t0.elapsed()
    );
    let waits: Vec<u64> = p
        .logs
        .lock()
        .unwrap()
        .tail(100)
        .iter()
        .filter_map(|l| {
            l.text
                .strip_prefix("restarting in ")?
                .strip_suffix(" ms")?
                .parse()
                .ok()
        })
        .collect();
    assert_eq!(waits.len(), 3, "{waits:?}");
    assert!(
        waits.windows(2).all(|w| w[1] > w[0]),
        "delays grow: {waits:?}"
    );
    // Starting it again is a fresh start.
    assert_eq!(p.start().await, Ok("started"));
    sup.shutdown().await;
    assert!(my_zombies().is_empty());
}

#[tokio::test]
async fn a_child_that_ignores_sigterm_is_killed_and_grandchildren_go_too() {
    let dir = tempfile::tempdir().unwrap();
    let grandchild = dir.path().join("grandchild.pid");
    let script = format!(
        "trap '' TERM; sleep 1000 & echo $! > {}; echo ready; while :; do sleep 0.05; done",
        grandchild.display()
    );
    let sup = Supervisor::default();
    sup.add(entry(&serde_json::json!({"id":"stubborn","name":"stubborn","command":"sh","args":["-c", script],"stop_timeout":1,"auto_restart":true}).to_string()));
    let p = sup.get("stubborn").unwrap();
    p.start().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !p
        .logs
        .lock()
        .unwrap()
        .tail(10)
        .iter()
        .any(|l| l.text == "ready")
    {
        assert!(Instant::now() < deadline, "the child never said ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let child = p.snapshot().pid.unwrap();
    let gc: u32 = std::fs::read_to_string(&grandchild)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!gone(gc));
    // A second start says so and starts nothing.
    assert!(p
        .start()
        .await
        .unwrap_err()
        .to_string()
        .contains("already running"));
    let t = Instant::now();
    assert_eq!(p.stop().await, Ok("stopped"));
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_secs(5),
        "stop took {took:?}"
    );
    assert!(p
        .logs
        .lock()
        .unwrap()
        .tail(10)
        .iter()
        .any(|l| l.text.starts_with("did not stop within 1s: killed")));
    assert!(
        all_gone(&[child, gc]).await,
        "child {child} and grandchild {gc} are gone"
    );
    // A manual stop never restarts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(p.snapshot().state, State::Stopped);
    assert!(p
        .stop()
        .await
        .unwrap_err()
        .to_string()
        .contains("not running"));
    assert!(my_zombies().is_empty());
}

fn vm(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_printing_100_mb_keeps_memory_bounded() {
    let sup = Supervisor::default();
    // 100 MB of 100-byte lines, and 1 MB lines too (split, not lost).
    sup.add(entry(r#"{"id":"chatty","name":"chatty","command":"sh","args":["-c","yes 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' | head -c 100000000; head -c 1000000 /dev/zero | tr '\\0' 'b'; echo; echo done"],"log_lines":2000}"#));
    let p = sup.get("chatty").unwrap();
    let before = vm("VmRSS:");
    p.start().await.unwrap();
    until(&p, "the chatty child exits", 120, |s| {
        s.state == State::Stopped && s.last_exit.is_some()
    })
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    // Output may still be draining after the exit is seen: wait for both.
    let seen = |t: &str| p.logs.lock().unwrap().tail(20).iter().any(|l| l.text == t);
    while !(seen("done") && seen("exited (exit code 0)")) {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let grew_mb = vm("VmRSS:").saturating_sub(before) / 1024;
    assert!(
        grew_mb < 40,
        "nurvus grew by {grew_mb} MB for 101 MB of output"
    );
    let (tail, dropped) = {
        let ring = p.logs.lock().unwrap();
        (ring.tail(2000), ring.dropped)
    };
    assert!(
        dropped > 900_000,
        "the ring kept its bound: {dropped} dropped"
    );
    assert!(tail.iter().any(|l| l.text == "done"));
    let bs: usize = tail
        .iter()
        .map(|l| l.text.bytes().filter(|b| *b == b'b').count())
        .sum();
    assert_eq!(
        bs,
        1_000_000,
        "the 1 MB line is split into lines of at most {} bytes, none lost",
        nurvus::logs::MAX_LINE
    );
    assert!(tail.iter().all(|l| l.text.len() <= nurvus::logs::MAX_LINE));
    sup.shutdown().await;
}

#[tokio::test]
async fn a_port_in_use_is_refused_naming_its_holder() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let sup = Supervisor::default();
    sup.add(entry(&format!(
        r#"{{"id":"web","name":"web","command":"sleep","args":["100"],"env":{{"PORT":"{port}"}}}}"#
    )));
    let p = sup.get("web").unwrap();
    let err = p.start().await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "port {port} is already in use by pid {}",
            std::process::id()
        )),
        "{err}"
    );
    assert_eq!(p.snapshot().state, State::Failed);
    drop(holder);
    assert_eq!(p.start().await, Ok("started"));
    sup.shutdown().await;
}

#[tokio::test]
async fn with_auto_restart_a_busy_port_is_tried_again_until_it_is_free() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let sup = Supervisor::default();
    sup.add(entry(&format!(
        r#"{{"id":"web","name":"web","command":"sleep","args":["100"],"port":{port},"auto_restart":true}}"#
    )));
    let p = sup.get("web").unwrap();
    assert!(
        p.start().await.is_err(),
        "not started while the port is held"
    );
    assert_eq!(p.snapshot().state, State::Backoff, "and tried again later");
    drop(holder);
    until(&p, "started once the port is free", 20, |s| {
        s.state == State::Running && s.pid.is_some()
    })
    .await;
    sup.shutdown().await;
}

#[tokio::test]
async fn a_child_never_ready_is_restarted_after_its_startup_checks() {
    let nothing = landale_port();
    let sup = Arc::new(Supervisor::default());
    sup.add(entry(&format!(
        r#"{{"id":"sick","name":"sick","command":"sleep","args":["1000"],"auto_restart":true,"restart_on_unhealthy":true,
            "health_check":{{"type":"tcp","port":{nothing},"interval":1,"timeout":200,"startup_interval":0.1,"startup_retries":3}}}}"#
    )));
    let p = sup.get("sick").unwrap();
    p.start().await.unwrap();
    let first = p.snapshot();
    assert_eq!(
        first.state,
        State::Starting,
        "not running before its check passes"
    );
    let first = first.pid.unwrap();
    until(&p, "restarted after its startup checks", 20, |s| {
        s.restarts >= 1 && s.pid.is_some() && s.pid != Some(first)
    })
    .await;
    let lines: Vec<String> = p
        .logs
        .lock()
        .unwrap()
        .tail(20)
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l == "not ready after 3 startup checks"),
        "{lines:?}"
    );
    assert!(all_gone(&[first]).await);
    sup.shutdown().await;
}

#[tokio::test]
async fn a_child_that_turns_unhealthy_is_restarted() {
    let port = landale_port();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let sup = Arc::new(Supervisor::default());
    sup.add(entry(&format!(
        r#"{{"id":"sick","name":"sick","command":"sleep","args":["1000"],"auto_restart":true,"restart_on_unhealthy":true,
            "health_check":{{"type":"tcp","port":{port},"interval":1,"timeout":200,"failures":2,"startup_interval":0.1}}}}"#
    )));
    let p = sup.get("sick").unwrap();
    p.start().await.unwrap();
    let first = p.snapshot().pid.unwrap();
    until(&p, "running and healthy once its port answers", 20, |s| {
        s.state == State::Running && s.health == "healthy"
    })
    .await;
    drop(listener);
    until(&p, "restarted after failing health", 30, |s| {
        s.restarts >= 1 && s.pid.is_some() && s.pid != Some(first)
    })
    .await;
    let lines: Vec<String> = p
        .logs
        .lock()
        .unwrap()
        .tail(20)
        .into_iter()
        .map(|l| l.text)
        .collect();
    assert!(
        lines.iter().any(|l| l == "unhealthy after 2 failed checks"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l == "ready (healthy)"), "{lines:?}");
    assert!(all_gone(&[first]).await);
    sup.shutdown().await;
}

fn landale_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
