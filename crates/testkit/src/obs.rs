//! Real OBS Studio for tests: `obs` under `xvfb-run` in a throwaway HOME whose
//! `global.ini` turns obs-websocket on with a password, and a local RTMP ingest
//! (nginx with `libnginx-mod-rtmp`) to stream to. `.ci/run` installs both.

use crate::free_port;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// OBS takes 2–3 s to open its WebSocket here; allow for a loaded CI machine.
const START_DEADLINE: Duration = Duration::from_secs(60);

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

/// `Err(why)` when this machine cannot run real OBS.
pub fn available() -> Result<(), String> {
    for p in ["obs", "xvfb-run"] {
        if !on_path(p) {
            return Err(format!(
                "`{p}` is not installed (apt-get install obs-studio xvfb xauth; .ci/run does)"
            ));
        }
    }
    Ok(())
}

pub fn rtmp_available() -> Result<(), String> {
    let module = Path::new(RTMP_MODULE);
    if !Path::new("/usr/sbin/nginx").is_file() || !module.is_file() {
        return Err("nginx with the RTMP module is not installed (apt-get install nginx-light libnginx-mod-rtmp; .ci/run does)".into());
    }
    Ok(())
}

const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

/// Wait until something accepts TCP connections on `port`. OBS and nginx give no other
/// readiness signal, so this retries a connect every 100 ms until the deadline.
pub async fn wait_port(port: u16, deadline: Duration, what: &str) {
    let until = Instant::now() + deadline;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        assert!(
            Instant::now() < until,
            "{what} did not open port {port} within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), "--", &format!("-{pgid}")])
        .stderr(Stdio::null())
        .status();
}

/// A running OBS Studio (its process group: xvfb-run, Xvfb, obs).
pub struct Obs {
    pub home: tempfile::TempDir,
    pub port: u16,
    pub password: String,
    child: Option<Child>,
}

impl Obs {
    /// Start OBS with obs-websocket on a free port and `password`.
    pub async fn start(password: &str) -> Obs {
        let home = tempfile::tempdir().unwrap();
        let port = free_port();
        write_config(home.path(), port, password);
        let mut obs = Obs {
            home,
            port,
            password: password.to_string(),
            child: None,
        };
        obs.launch().await;
        obs
    }

    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    pub fn recordings(&self) -> PathBuf {
        self.home.path().join("recordings")
    }

    async fn launch(&mut self) {
        let log = std::fs::File::create(self.home.path().join("obs-stdout.log")).unwrap();
        let child = Command::new("xvfb-run")
            .args([
                "-a",
                "-s",
                "-screen 0 1280x720x24",
                "obs",
                "--disable-shutdown-check",
                "--minimize-to-tray",
                "--multi",
            ])
            .env("HOME", self.home.path())
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            // A session bus that is not there: without one set, OBS autolaunches one
            // (dbus-launch, where dbus-x11 is installed) whose document portal mounts
            // FUSE in this HOME and outlives OBS, with its daemons.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", self.home.path().join("no-bus").display()),
            )
            .env_remove("XDG_CONFIG_HOME")
            .current_dir(self.home.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start xvfb-run obs");
        self.child = Some(child);
        wait_port(self.port, START_DEADLINE, "OBS").await;
    }

    fn pgid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL OBS (and its X server): a crash, not a clean exit.
    pub fn kill(&mut self) {
        if let Some(pgid) = self.pgid() {
            signal_group(pgid, "KILL");
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.wait();
        }
    }

    /// Start again with the same HOME and port.
    pub async fn restart(&mut self) {
        self.kill();
        self.launch().await;
    }

    /// SIGSTOP: OBS keeps its socket open but answers nothing.
    pub fn freeze(&self) {
        if let Some(pgid) = self.pgid() {
            signal_group(pgid, "STOP");
        }
    }

    pub fn thaw(&self) {
        if let Some(pgid) = self.pgid() {
            signal_group(pgid, "CONT");
        }
    }

    /// The tail of OBS's own log, for failure messages.
    pub fn log_tail(&self) -> String {
        let dir = self.home.path().join(".config/obs-studio/logs");
        let newest = std::fs::read_dir(&dir)
            .ok()
            .and_then(|d| d.filter_map(Result::ok).map(|e| e.path()).max());
        let text = newest
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Obs {
    fn drop(&mut self) {
        self.thaw();
        self.kill();
    }
}

/// A small, cheap OBS: 320×180 at 30 fps, x264 at 300 kb/s, MKV recordings in
/// `$HOME/recordings`, obs-websocket on `port` with `password`.
fn write_config(home: &Path, port: u16, password: &str) {
    let cfg = home.join(".config/obs-studio");
    let profile = cfg.join("basic/profiles/Landale");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::create_dir_all(cfg.join("basic/scenes")).unwrap();
    std::fs::create_dir_all(home.join("recordings")).unwrap();
    std::fs::write(
        cfg.join("global.ini"),
        format!(
            "[General]\nFirstRun=true\nPre19Defaults=false\nPre21Defaults=false\nPre23Defaults=false\nPre24.1Defaults=false\n\n\
             [Basic]\nProfile=Landale\nProfileDir=Landale\nSceneCollection=Landale\nSceneCollectionFile=Landale\n\n\
             [OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort={port}\nAuthRequired=true\nServerPassword={password}\nAlertsEnabled=false\n"
        ),
    )
    .unwrap();
    std::fs::write(
        profile.join("basic.ini"),
        format!(
            "[General]\nName=Landale\n\n\
             [Video]\nBaseCX=320\nBaseCY=180\nOutputCX=320\nOutputCY=180\nFPSType=1\nFPSInt=30\n\n\
             [Output]\nMode=Simple\n\n\
             [SimpleOutput]\nFilePath={}\nRecFormat=mkv\nRecFormat2=mkv\nRecQuality=Stream\nVBitrate=300\nABitrate=64\nStreamEncoder=x264\nRecEncoder=x264\nPreset=ultrafast\n",
            home.join("recordings").display()
        ),
    )
    .unwrap();
}

/// A local RTMP ingest (nginx + libnginx-mod-rtmp) at `rtmp://127.0.0.1:<port>/live`.
pub struct Rtmp {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

impl Rtmp {
    pub async fn start() -> Rtmp {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "load_module {RTMP_MODULE};\ndaemon off;\nmaster_process off;\npid {pid};\nerror_log {err} info;\n\
                 events {{ worker_connections 64; }}\n\
                 rtmp {{ server {{ listen 127.0.0.1:{port}; application live {{ live on; record off; }} }} }}\n",
                pid = dir.path().join("nginx.pid").display(),
                err = dir.path().join("error.log").display(),
            ),
        )
        .unwrap();
        let child = Command::new("/usr/sbin/nginx")
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        wait_port(port, Duration::from_secs(10), "nginx rtmp").await;
        Rtmp { dir, port, child }
    }

    pub fn url(&self) -> String {
        format!("rtmp://127.0.0.1:{}/live", self.port)
    }

    /// nginx's log: the RTMP module logs each publish.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Rtmp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
