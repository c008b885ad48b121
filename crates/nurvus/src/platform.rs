//! Everything that depends on the operating system, in one place: no other module of
//! nurvus names a signal, a pid syscall or `/proc`. A Windows implementation fills the
//! same items: [`prepare`] puts the child in a Job Object with kill-on-close (so no
//! child outlives nurvus), [`stop_politely`] posts WM_CLOSE to a GUI program's windows
//! (OBS opens in safe mode with its WebSocket off after a hard kill) before
//! [`kill_group`] terminates the job, [`describe_exit`] reads the exit code, and
//! [`reload_signal`]/[`terminate_signal`] become console events.
//! Linux and macOS are supported. Linux reads `/proc` for metrics, port holders and
//! running programs; macOS asks `ps` for CPU time, memory and running programs (no
//! open-file count, no port holder's name). The `ps` readers are compiled and tested
//! on Linux too, so the macOS path is not code nobody ran.

use std::time::Duration;

/// Put the child in its own process group, and on Linux have it killed if nurvus
/// dies (the parent-death signal), so no child is orphaned.
pub fn prepare(cmd: &mut tokio::process::Command) {
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    unsafe {
        cmd.pre_exec(|| {
            // SAFETY: prctl is async-signal-safe; it only sets a flag on this process.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// How a process is asked to stop (a Unix signal number here).
pub type Signal = i32;

/// The default stop signal.
pub const TERM: Signal = libc::SIGTERM;

/// A stop signal by its name, with or without `SIG`.
pub fn signal_named(name: &str) -> Option<Signal> {
    Some(match name.trim_start_matches("SIG") {
        "TERM" => libc::SIGTERM,
        "INT" => libc::SIGINT,
        "HUP" => libc::SIGHUP,
        "QUIT" => libc::SIGQUIT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        _ => return None,
    })
}

/// Ask the child (and everything it started) to stop.
pub fn stop_politely(pid: u32, signal: Signal) {
    signal_group(pid, signal);
}

/// Kill the child's whole group at once; harmless when it is already gone.
pub fn kill_group(pid: u32) {
    signal_group(pid, libc::SIGKILL);
}

/// An exit status in words: `exit code 3`, `killed by signal 9`.
pub fn describe_exit(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "exited".into(),
    }
}

/// The operator's reload requests (SIGHUP).
pub struct ReloadRequests(tokio::signal::unix::Signal);

impl ReloadRequests {
    /// `None` when this system cannot deliver them.
    pub fn listen() -> Option<ReloadRequests> {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .ok()
            .map(ReloadRequests)
    }

    /// The next request; `None` once no more can come.
    pub async fn next(&mut self) -> Option<()> {
        self.0.recv().await
    }
}

/// Resolves when the service manager asks nurvus to stop (SIGTERM) or on Ctrl-C.
pub async fn terminate_signal() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => tokio::select! { _ = tokio::signal::ctrl_c() => {}, _ = term.recv() => {} },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Send `signal` to the whole process group led by `pid`.
pub fn signal_group(pid: u32, signal: i32) -> bool {
    // SAFETY: killpg has no memory effects; a stale group gives ESRCH.
    unsafe { libc::killpg(pid as libc::pid_t, signal) == 0 }
}

/// Is anything left in the process group led by `pid`?
pub fn group_alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::killpg(pid as libc::pid_t, 0) == 0 }
}

pub fn alive(pid: u32) -> bool {
    // SAFETY: as above.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

/// CPU time (seconds), resident memory (bytes) and open file descriptors of `pid`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
    pub fds: u64,
}

#[cfg(target_os = "linux")]
pub fn usage(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces), counted from field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // SAFETY: sysconf has no memory effects.
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    let rss: u64 = f.get(21)?.parse().ok()?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count() as u64)
        .unwrap_or(0);
    Some(Usage {
        cpu_seconds: (utime + stime) / tick,
        rss_bytes: rss * page,
        fds,
    })
}

#[cfg(not(target_os = "linux"))]
pub fn usage(pid: u32) -> Option<Usage> {
    usage_from_ps(pid)
}

/// [`Usage`] from `ps` (POSIX fields `rss` in KiB and `time`); open fds unknown (0).
pub fn usage_from_ps(pid: u32) -> Option<Usage> {
    let out = std::process::Command::new("ps")
        .args(["-o", "rss=", "-o", "time=", "-p", &pid.to_string()])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut f = text.split_whitespace();
    let rss_kib: u64 = f.next()?.parse().ok()?;
    Some(Usage {
        cpu_seconds: ps_time(f.next()?)?,
        rss_bytes: rss_kib * 1024,
        fds: 0,
    })
}

/// `ps`'s cumulative time: `[[dd-]hh:]mm:ss[.ff]` (Linux `00:01:02`, macOS `1:02.50`).
fn ps_time(t: &str) -> Option<f64> {
    let (days, clock) = match t.split_once('-') {
        Some((d, rest)) => (d.parse::<f64>().ok()?, rest),
        None => (0.0, t),
    };
    let mut secs = 0.0;
    for part in clock.split(':') {
        secs = secs * 60.0 + part.parse::<f64>().ok()?;
    }
    Some(days * 86_400.0 + secs)
}

/// Every pid whose executable name (`comm`, or the command line's first word) is `name`.
#[cfg(target_os = "linux")]
pub fn find_by_name(name: &str) -> Vec<u32> {
    let want = name.trim_end_matches(".exe");
    let mut out = vec![];
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let first = cmdline
            .split(|b| *b == 0)
            .next()
            .map(|b| String::from_utf8_lossy(b).to_string())
            .unwrap_or_default();
        let base = first.rsplit('/').next().unwrap_or("");
        if comm.trim() == want || base == want || base == name {
            out.push(pid);
        }
    }
    out
}

#[cfg(not(target_os = "linux"))]
pub fn find_by_name(name: &str) -> Vec<u32> {
    find_by_name_ps(name)
}

/// [`find_by_name`] from `ps -A -o pid=,comm=` (macOS prints the executable's path).
pub fn find_by_name_ps(name: &str) -> Vec<u32> {
    let want = name.trim_end_matches(".exe");
    let Ok(out) = std::process::Command::new("ps")
        .args(["-A", "-o", "pid=", "-o", "comm="])
        .output()
    else {
        return vec![];
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (pid, comm) = l.trim().split_once(char::is_whitespace)?;
            let base = comm.trim().rsplit('/').next()?;
            (base == want || base == name)
                .then(|| pid.parse().ok())
                .flatten()
        })
        .collect()
}

/// Who listens on TCP `port`: `Some((pid, name))` when it can be read, `Some((0, ""))`
/// when something listens but its owner cannot be read, `None` when the port is free.
pub fn port_holder(port: u16) -> Option<(u32, String)> {
    // The truth is whether a bind succeeds; /proc then names the holder.
    let free = std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
        && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
    if free {
        return None;
    }
    Some(holder(port).unwrap_or((0, String::new())))
}

#[cfg(target_os = "linux")]
fn holder(port: u16) -> Option<(u32, String)> {
    let mut inodes = vec![];
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
        {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                continue;
            };
            let p = local
                .rsplit(':')
                .next()
                .and_then(|h| u16::from_str_radix(h, 16).ok());
            if p == Some(port) && *state == "0A" {
                inodes.push(format!("socket:[{inode}]"));
            }
        }
    }
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = std::fs::read_link(fd.path()) {
                if inodes.iter().any(|i| target.as_os_str() == i.as_str()) {
                    let name =
                        std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                    return Some((pid, name.trim().to_string()));
                }
            }
        }
    }
    None
}

#[cfg(not(target_os = "linux"))]
fn holder(_port: u16) -> Option<(u32, String)> {
    None
}

pub fn name() -> &'static str {
    if cfg!(target_os = "linux") {
        "linux"
    } else if cfg!(target_os = "macos") {
        "darwin"
    } else {
        "unsupported"
    }
}

pub fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .map(|h| h.trim().to_string())
                .unwrap_or_else(|_| "unknown".into())
        })
}

/// How long a stop waits between checks.
pub const POLL: Duration = Duration::from_millis(20);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_times_read_on_both_systems() {
        assert_eq!(ps_time("00:01:02"), Some(62.0));
        assert_eq!(ps_time("1-00:00:01"), Some(86_401.0));
        assert_eq!(ps_time("1:02.50"), Some(62.5));
        assert_eq!(ps_time("junk"), None);
    }

    /// The macOS readers, run here against a real child and checked against `/proc`.
    #[test]
    fn the_ps_readers_agree_with_proc() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = child.id();
        let ps = usage_from_ps(pid).expect("ps reads a live child");
        let proc = usage(pid).unwrap();
        assert!(ps.rss_bytes > 0);
        let ratio = ps.rss_bytes as f64 / proc.rss_bytes as f64;
        assert!((0.5..2.0).contains(&ratio), "ps {ps:?} vs /proc {proc:?}");
        assert!(find_by_name_ps("sleep").contains(&pid));
        assert!(find_by_name("sleep").contains(&pid));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(usage_from_ps(pid), None, "a gone process has no usage");
    }
}
