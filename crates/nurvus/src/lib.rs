//! nurvus: a process manager for each Landale machine. `config` reads the process
//! file (the reference's JSON array), `supervisor` runs one task per process that
//! owns its child and its restarts, `logs` captures output into bounded rings,
//! `platform` holds everything OS-specific, `http` is the API on 4001, `cli` the verbs.

pub mod cli;
pub mod config;
pub mod http;
pub mod logs;
pub mod platform;
pub mod supervisor;

use std::path::{Path, PathBuf};

/// The process file: `NURVUS_CONFIG` (or the reference's `NURVUS_CONFIG_FILE`), else
/// `$XDG_CONFIG_HOME/nurvus/processes.json` when it exists, else `./nurvus.json`.
pub fn config_path() -> PathBuf {
    if let Some(p) = std::env::var_os("NURVUS_CONFIG")
        .or_else(|| std::env::var_os("NURVUS_CONFIG_FILE"))
        .filter(|p| !p.is_empty())
    {
        return PathBuf::from(p);
    }
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(p) = xdg
        .map(|d| d.join("nurvus").join("processes.json"))
        .filter(|p| p.is_file())
    {
        return p;
    }
    PathBuf::from("nurvus.json")
}

/// `nurvus validate`: every problem printed; the exit code (1 when there is any).
pub fn validate(file: Option<&Path>) -> i32 {
    let path = file.map(Path::to_path_buf).unwrap_or_else(config_path);
    match config::load(&path) {
        Err(e) => {
            eprintln!("nurvus: {e}");
            1
        }
        Ok((good, problems)) => {
            for p in &problems {
                eprintln!("{}: {p}", path.display());
            }
            println!(
                "{}: {} processes valid, {} problems",
                path.display(),
                good.len(),
                problems.len()
            );
            i32::from(!problems.is_empty())
        }
    }
}

/// What a reload did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Reloaded {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
    pub problems: Vec<String>,
}

/// Read the process file again: new entries are added (and started when `autostart`),
/// removed ones stopped and forgotten, changed ones restarted with their new settings,
/// unchanged ones left alone.
pub async fn reload(
    sup: &std::sync::Arc<supervisor::Supervisor>,
    path: &Path,
) -> Result<Reloaded, String> {
    let (good, problems) = config::load(path)?;
    let mut out = Reloaded {
        problems: problems.iter().map(|p| p.to_string()).collect(),
        ..Reloaded::default()
    };
    let current: std::collections::BTreeMap<String, std::sync::Arc<supervisor::Proc>> = sup
        .list()
        .into_iter()
        .map(|p| (p.entry.id.clone(), p))
        .collect();
    for id in current.keys() {
        if !good.iter().any(|e| &e.id == id) {
            sup.remove(id).await;
            out.removed.push(id.clone());
        }
    }
    for e in good {
        let id = e.id.clone();
        match current.get(&id) {
            Some(old) if old.entry == e => out.unchanged.push(id),
            Some(old) => {
                let was_up = matches!(
                    old.snapshot().state,
                    supervisor::State::Running
                        | supervisor::State::Backoff
                        | supervisor::State::Starting
                );
                let start = was_up || e.autostart;
                sup.remove(&id).await;
                sup.add(e);
                if start {
                    sup.start_when_ready(&id, std::time::Duration::from_secs(60));
                }
                out.changed.push(id);
            }
            None => {
                let start = e.autostart;
                sup.add(e);
                if start {
                    sup.start_when_ready(&id, std::time::Duration::from_secs(60));
                }
                out.added.push(id);
            }
        }
    }
    Ok(out)
}

/// `nurvus install-service`: a systemd user unit that runs this nurvus with this
/// process file, and how to enable it. Returns the unit's path.
pub fn install_service(config: &Path) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let config = std::fs::canonicalize(config).unwrap_or_else(|_| config.to_path_buf());
    let home = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .ok_or("neither XDG_CONFIG_HOME nor HOME is set")?;
    let dir = home.join("systemd").join("user");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let unit = dir.join("nurvus.service");
    let text = format!(
        "[Unit]\nDescription=nurvus, Landale's process manager\nAfter=network-online.target\n\n[Service]\nExecStart={} serve\nEnvironment=NURVUS_CONFIG={}\nEnvironment=LOG_FORMAT=json\nExecReload=/bin/kill -HUP $MAINPID\nRestart=on-failure\nRestartSec=2\nKillMode=mixed\nTimeoutStopSec=30\n\n[Install]\nWantedBy=default.target\n",
        exe.display(),
        config.display()
    );
    std::fs::write(&unit, text).map_err(|e| format!("{}: {e}", unit.display()))?;
    Ok(unit)
}
