//! The CLI: `nurvus serve` runs the daemon; the other verbs talk to a daemon over
//! HTTP (this machine's, or `--host` another's), with human tables or `--json`.

use clap::{Parser, Subcommand};
use serde_json::Value;

#[derive(Parser, Debug)]
#[command(
    name = "nurvus",
    about = "Landale's process manager: keeps a machine's programs running"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Verb,
    /// The daemon to talk to (default: this machine's).
    #[arg(long, global = true, env = "NURVUS_URL")]
    pub host: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Controls need the token (`landale token`), unless the daemon trusts loopback.
    #[arg(long, global = true, env = "LANDALE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Verb {
    /// Run the daemon (NURVUS_PORT 4001, NURVUS_HOST 127.0.0.1, NURVUS_CONFIG).
    Serve,
    /// The daemon's state and every process's.
    Status,
    /// Processes with pid, uptime, CPU, RSS and restarts.
    Ps,
    Start {
        id: String,
    },
    Stop {
        id: String,
    },
    Restart {
        id: String,
    },
    /// A process's captured output.
    Logs {
        id: String,
        /// Keep printing new lines.
        #[arg(short, long)]
        follow: bool,
        #[arg(short = 'n', long, default_value_t = 100)]
        lines: usize,
    },
    /// Check a process file (default: the configured one) and print every problem.
    Validate {
        file: Option<std::path::PathBuf>,
    },
    /// Read the process file again (also SIGHUP): add, remove and restart what changed.
    Reload,
    /// Write a systemd user unit for `nurvus serve` with this process file.
    InstallService {
        file: Option<std::path::PathBuf>,
    },
}

pub fn base(host: &Option<String>) -> String {
    let port = std::env::var("NURVUS_PORT").unwrap_or_else(|_| "4001".into());
    match host {
        None => format!("http://127.0.0.1:{port}"),
        Some(h) if h.starts_with("http://") || h.starts_with("https://") => {
            h.trim_end_matches('/').to_string()
        }
        Some(h) if h.contains(':') => format!("http://{h}"),
        Some(h) => format!("http://{h}:{port}"),
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

async fn get(cli: &Cli, path: &str) -> Result<Value, String> {
    let url = format!("{}{path}", base(&cli.host));
    let r = http()
        .get(&url)
        .send()
        .await
        .map_err(|e| format!("cannot reach nurvus at {}: {e}", base(&cli.host)))?;
    let status = r.status();
    let v: Value = r
        .json()
        .await
        .map_err(|e| format!("{url}: not JSON: {e}"))?;
    if !status.is_success() {
        return Err(v["error"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{url}: HTTP {status}")));
    }
    Ok(v)
}

fn table(procs: &[Value]) -> String {
    let mut out = format!(
        "{:<20} {:<9} {:>8} {:>9} {:>6} {:>8} {:>8}  {}\n",
        "ID", "STATE", "PID", "UPTIME", "CPU%", "RSS MB", "RESTARTS", "NOTE"
    );
    for p in procs {
        let up = p["uptime_seconds"]
            .as_u64()
            .map(|s| format!("{}h{:02}m{:02}s", s / 3600, s / 60 % 60, s % 60))
            .unwrap_or_else(|| "-".into());
        let note = p["error"]
            .as_str()
            .or(p["last_exit"].as_str())
            .unwrap_or("");
        out.push_str(&format!(
            "{:<20} {:<9} {:>8} {:>9} {:>6} {:>8} {:>8}  {}\n",
            p["id"].as_str().unwrap_or(""),
            p["state"].as_str().unwrap_or(""),
            p["pid"]
                .as_u64()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            up,
            p["cpu_percent"]
                .as_f64()
                .map(|c| format!("{c:.1}"))
                .unwrap_or_else(|| "-".into()),
            p["memory_mb"]
                .as_u64()
                .map(|m| m.to_string())
                .unwrap_or_else(|| "-".into()),
            p["restarts"],
            note.chars().take(60).collect::<String>()
        ));
    }
    out
}

/// A control request (POST with the token): nurvus's answer, or its error in words.
async fn control(cli: &Cli, path: &str) -> Result<Value, String> {
    let mut req = http().post(format!("{}{path}", base(&cli.host)));
    if let Some(t) = &cli.token {
        req = req.bearer_auth(t);
    }
    let r = req
        .send()
        .await
        .map_err(|e| format!("cannot reach nurvus at {}: {e}", base(&cli.host)))?;
    let ok = r.status().is_success();
    let v: Value = r.json().await.unwrap_or_default();
    if ok {
        return Ok(v);
    }
    // nurvus says `{"error": "..."}`; a refused token is the hub-style envelope.
    Err(v["error"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| v.to_string()))
}

/// Run a client verb; returns the exit code.
pub async fn run(cli: &Cli) -> i32 {
    let result: Result<Option<String>, String> = async {
        Ok(Some(match &cli.command {
            Verb::Serve | Verb::Validate { .. } | Verb::InstallService { .. } => {
                unreachable!("handled by main")
            }
            Verb::Reload => {
                let v = control(cli, "/api/reload").await?;
                if cli.json {
                    v.to_string()
                } else {
                    let list = |k: &str| {
                        v[k].as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            })
                            .unwrap_or_default()
                    };
                    format!(
                        "added: {}\nremoved: {}\nrestarted: {}\nunchanged: {}",
                        list("added"),
                        list("removed"),
                        list("changed"),
                        list("unchanged")
                    )
                }
            }
            Verb::Status | Verb::Ps => {
                let list = get(cli, "/api/processes").await?;
                if cli.json {
                    if matches!(cli.command, Verb::Status) {
                        let sys = get(cli, "/api/system/status").await?;
                        serde_json::json!({"system": sys, "processes": list["processes"]})
                            .to_string()
                    } else {
                        list["processes"].to_string()
                    }
                } else {
                    table(
                        list["processes"]
                            .as_array()
                            .map(Vec::as_slice)
                            .unwrap_or(&[]),
                    )
                }
            }
            Verb::Start { id } | Verb::Stop { id } | Verb::Restart { id } => {
                let action = match cli.command {
                    Verb::Start { .. } => "start",
                    Verb::Stop { .. } => "stop",
                    _ => "restart",
                };
                let v = control(cli, &format!("/api/processes/{id}/{action}")).await?;
                if cli.json {
                    v.to_string()
                } else {
                    format!("{id}: {}", v["status"].as_str().unwrap_or("done"))
                }
            }
            Verb::Logs { id, follow, lines } => {
                let v = get(cli, &format!("/api/processes/{id}/logs?lines={lines}")).await?;
                let text: Vec<String> = v["lines"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|l| {
                                format!(
                                    "{} {} {}",
                                    l["at"].as_str().unwrap_or(""),
                                    l["stream"].as_str().unwrap_or(""),
                                    l["text"].as_str().unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if cli.json {
                    println!("{}", v["lines"]);
                } else if !text.is_empty() {
                    println!("{}", text.join("\n"));
                }
                if *follow {
                    follow_logs(cli, id).await?;
                }
                return Ok(None);
            }
        }))
    }
    .await;
    match result {
        Ok(Some(out)) => {
            println!("{}", out.trim_end());
            0
        }
        Ok(None) => 0,
        Err(e) => {
            eprintln!("nurvus: {e}");
            1
        }
    }
}

async fn follow_logs(cli: &Cli, id: &str) -> Result<(), String> {
    let url = format!("{}/api/processes/{id}/logs/stream", base(&cli.host));
    let mut r = reqwest::Client::new()
        .get(&url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = String::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| e.to_string())? {
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(i) = buf.find("\n\n") {
            let event: String = buf.drain(..i + 2).collect();
            for line in event.lines().filter_map(|l| l.strip_prefix("data:")) {
                match serde_json::from_str::<Value>(line.trim()) {
                    Ok(v) if cli.json => println!("{v}"),
                    Ok(v) => println!(
                        "{} {} {}",
                        v["at"].as_str().unwrap_or(""),
                        v["stream"].as_str().unwrap_or(""),
                        v["text"].as_str().unwrap_or("")
                    ),
                    Err(_) => println!("(missed {} lines)", line.trim()),
                }
            }
        }
    }
    Ok(())
}
