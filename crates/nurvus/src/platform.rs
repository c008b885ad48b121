//! Everything that depends on the operating system, in one place, so a Windows
//! implementation can fill the same functions (a Job Object so no child outlives
//! nurvus; a polite window close before terminating a GUI program such as OBS).
//! Linux and macOS are supported; Linux reads `/proc` for metrics, port holders and
//! running programs (macOS reports no metrics yet).

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
pub fn usage(_pid: u32) -> Option<Usage> {
    None
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
pub fn find_by_name(_name: &str) -> Vec<u32> {
    vec![]
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
