//! The IronMON listener's settings: `IRONMON_PORT` (8080, `off` to disable) and
//! `IRONMON_HOST` (else the hub's bind address, loopback by default).

use clap::Args;
use landale_core::settings::{bad, SettingError};
use std::net::IpAddr;

#[derive(Clone, Default, Args)]
pub struct IronmonArgs {
    /// TCP port the IronMON tracker connects to (8080); `off` turns the listener off.
    #[arg(long, env = "IRONMON_PORT")]
    pub ironmon_port: Option<String>,
    /// Address for the IronMON listener; defaults to the hub's BIND_IP.
    #[arg(long, env = "IRONMON_HOST")]
    pub ironmon_host: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IronmonSettings {
    /// `None`: the listener is off.
    pub port: Option<u16>,
    pub host: IpAddr,
    /// Connections at once; more are refused (the tracker opens one).
    pub max_connections: usize,
}

pub const DEFAULT_PORT: u16 = 8080;

impl IronmonArgs {
    /// `hub_bind` is the hub's own bind address, used unless `IRONMON_HOST` is set.
    pub fn settings(&self, hub_bind: IpAddr) -> Result<IronmonSettings, SettingError> {
        let port = match self.ironmon_port.as_deref().map(str::trim) {
            None | Some("") => Some(DEFAULT_PORT),
            Some("off") | Some("false") => None,
            Some(v) => Some(v.parse::<u16>().map_err(|_| {
                bad(
                    "IRONMON_PORT",
                    v,
                    "expected a port number (0 for any free port) or off",
                )
            })?),
        };
        let host = match self.ironmon_host.as_deref().map(str::trim) {
            None | Some("") => hub_bind,
            Some(v) => v.parse().map_err(|_| {
                bad(
                    "IRONMON_HOST",
                    v,
                    "expected an IP address such as 127.0.0.1",
                )
            })?,
        };
        Ok(IronmonSettings {
            port,
            host,
            max_connections: 4,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_off_and_errors() {
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        let s = IronmonArgs::default().settings(lo).unwrap();
        assert_eq!((s.port, s.host), (Some(8080), lo));
        let off = IronmonArgs {
            ironmon_port: Some("off".into()),
            ..Default::default()
        };
        assert_eq!(off.settings(lo).unwrap().port, None);
        let bad = IronmonArgs {
            ironmon_port: Some("80800".into()),
            ..Default::default()
        };
        assert!(bad
            .settings(lo)
            .unwrap_err()
            .to_string()
            .contains("IRONMON_PORT"));
        let host = IronmonArgs {
            ironmon_host: Some("0.0.0.0".into()),
            ..Default::default()
        };
        assert_eq!(host.settings(lo).unwrap().host.to_string(), "0.0.0.0");
    }
}
