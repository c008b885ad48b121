//! The crate graph's rules, checked from `cargo metadata` (in `cargo xtask lint` and
//! as a test):
//! - `landale-protocol` depends on no other Landale crate, `landale-core` only on
//!   `landale-protocol`;
//! - an integration (a crate under `crates/integrations/`) depends on `core` and
//!   `protocol` only: never on the hub, another integration, a fake or a service;
//! - nothing depends on the hub (`landale`), which sits at the top; only the
//!   testkit, which starts real hubs for the tests and benches, sits above it.

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Every broken rule, in words; empty when the graph is as it should be.
pub fn violations(metadata: &Value) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let ours: Vec<(String, String)> = packages
        .iter()
        .filter_map(|p| {
            let path = p["manifest_path"].as_str()?;
            // Only the workspace's own crates have a `source` of null.
            p["source"].is_null().then(|| {
                (
                    p["name"].as_str().unwrap_or("").to_string(),
                    path.to_string(),
                )
            })
        })
        .collect();
    let is_integration = |path: &str| path.contains("/crates/integrations/");
    let integrations: Vec<&str> = ours
        .iter()
        .filter(|(_, path)| is_integration(path))
        .map(|(n, _)| n.as_str())
        .collect();
    let mut found = vec![];
    for p in &packages {
        let (Some(name), Some(path)) = (p["name"].as_str(), p["manifest_path"].as_str()) else {
            continue;
        };
        if !ours.iter().any(|(n, _)| n == name) {
            continue;
        }
        let deps: Vec<&str> = p["dependencies"]
            .as_array()
            .map(|d| {
                d.iter()
                    .filter(|d| d["kind"].is_null()) // normal dependencies, not dev or build
                    .filter_map(|d| d["name"].as_str())
                    .filter(|d| ours.iter().any(|(n, _)| n == d))
                    .collect()
            })
            .unwrap_or_default();
        for dep in &deps {
            if *dep == "landale" && name != "landale-testkit" {
                found.push(format!("{name} depends on the hub (landale): nothing may"));
            }
            if name == "landale-protocol" {
                found.push(format!(
                    "{name} depends on {dep}: it must depend on no Landale crate"
                ));
            }
            if name == "landale-core" && *dep != "landale-protocol" {
                found.push(format!(
                    "{name} depends on {dep}: it may depend on landale-protocol only"
                ));
            }
            if is_integration(path) && !matches!(*dep, "landale-core" | "landale-protocol") {
                let what = if integrations.contains(dep) {
                    "another integration"
                } else {
                    "a crate outside core and protocol"
                };
                found.push(format!("integration {name} depends on {dep} ({what})"));
            }
        }
    }
    found
}

pub fn check() -> Result<()> {
    let out = crate::cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let metadata: Value = serde_json::from_slice(&out.stdout).context("cargo metadata's JSON")?;
    let found = violations(&metadata);
    if !found.is_empty() {
        bail!(
            "the crate graph breaks ARCHITECTURE.md's invariants:\n  {}",
            found.join("\n  ")
        );
    }
    eprintln!("xtask: crate graph: integrations depend on core and protocol only; nothing but the testkit depends on the hub");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pkg(name: &str, path: &str, deps: &[&str]) -> Value {
        json!({"name": name, "manifest_path": path, "source": null,
               "dependencies": deps.iter().map(|d| json!({"name": d, "kind": null})).collect::<Vec<_>>()})
    }

    #[test]
    fn the_workspace_keeps_its_layers() {
        check().unwrap();
    }

    #[test]
    fn an_integration_that_reaches_up_or_sideways_is_named() {
        let m = json!({"packages": [
            pkg("landale", "/w/crates/hub/Cargo.toml", &["landale-core", "landale-obs"]),
            pkg("landale-protocol", "/w/crates/protocol/Cargo.toml", &[]),
            pkg("landale-core", "/w/crates/core/Cargo.toml", &["landale-protocol", "landale-obs"]),
            pkg("landale-obs", "/w/crates/integrations/obs/Cargo.toml", &["landale-core", "landale"]),
            pkg("landale-twitch", "/w/crates/integrations/twitch/Cargo.toml", &["landale-obs"]),
        ]});
        assert_eq!(
            violations(&m),
            [
                "landale-core depends on landale-obs: it may depend on landale-protocol only",
                "landale-obs depends on the hub (landale): nothing may",
                "integration landale-obs depends on landale (a crate outside core and protocol)",
                "integration landale-twitch depends on landale-obs (another integration)",
            ]
        );
    }
}
