//! What this machine lets a load run hold: open files (every connection is
//! one), and ports (every connection from one source address to one target
//! takes one of the system's ephemeral ports). Checked before the first
//! connect, so a run that cannot fit says why instead of failing half-way.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::net::NetError;

/// Connections per source address when a loopback target's connections are
/// spread over 127.0.0.2, 127.0.0.3, … (Linux). From one source address,
/// letting the system pick the port slows sharply past about 14,000
/// connections; 5,000 each stays well clear of that.
pub const LOOPBACK_PER_SOURCE: u32 = 5_000;

/// Open files kept free beside the connections (the poll, its waker,
/// files the window or the command line opens).
const FD_RESERVE: u64 = 64;

/// The most loopback source addresses used (127.0.0.2 to 127.0.0.251).
const MAX_SOURCES: u32 = 250;

/// Raises this process's open-file limit to its hard limit and gives the
/// limit now in force (`None` where there is none to read).
pub fn fd_limit() -> Option<u64> {
    crate::platform::raise_fd_limit()
}

/// Files this process has open now (Linux; `None` elsewhere).
fn open_files() -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    std::fs::read_dir("/proc/self/fd")
        .ok()
        .map(|d| d.count() as u64)
}

/// The source addresses connections to `target` are spread over: on Linux,
/// for an IPv4 loopback target with more than `per_source` connections,
/// 127.0.0.2 onwards, `per_source` connections each; otherwise none (the
/// system picks).
pub fn loopback_sources(target: IpAddr, connections: u32, per_source: u32) -> Vec<IpAddr> {
    let per_source = per_source.max(1);
    let loopback_v4 = matches!(target, IpAddr::V4(v4) if v4.is_loopback());
    if !cfg!(target_os = "linux") || !loopback_v4 || connections <= per_source {
        return Vec::new();
    }
    let count = connections.div_ceil(per_source).min(MAX_SOURCES);
    (0..count)
        .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, (2 + i) as u8)))
        .collect()
}

/// The system's range of ephemeral ports (Linux), as (first, last).
fn port_range() -> Option<(u64, u64)> {
    // Windows: the default dynamic port range (`netsh int ipv4 show
    // dynamicport tcp` shows the one in force).
    if cfg!(windows) {
        return Some((49_152, 65_535));
    }
    if !cfg!(target_os = "linux") {
        return None;
    }
    let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
    let mut parts = text.split_whitespace().map(str::parse::<u64>);
    match (parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(b))) if a <= b => Some((a, b)),
        _ => None,
    }
}

/// Checks that `connections` fit: in the open-file limit (raised to the
/// hard limit first) and in the ephemeral ports of each source address.
/// Gives the limit in force.
pub(super) fn check(
    connections: u32,
    target: SocketAddr,
    sources: &[IpAddr],
) -> Result<Option<u64>, NetError> {
    let limit = fd_limit();
    if let Some(limit) = limit {
        let open = open_files().unwrap_or(16);
        let room = limit.saturating_sub(open + FD_RESERVE);
        if u64::from(connections) > room {
            return Err(NetError::TooManyConnections {
                asked: connections,
                room,
                limit,
            });
        }
    }
    if let Some((first, last)) = port_range() {
        let ports = last - first + 1;
        let per_source = u64::from(connections).div_ceil(sources.len().max(1) as u64);
        if per_source > ports {
            return Err(NetError::TooFewPorts {
                per_source,
                ports,
                target,
            });
        }
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_spread_over_sources() {
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        assert!(loopback_sources(lo, 100, 500).is_empty());
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        assert!(loopback_sources(other, 19_000, 5_000).is_empty());
        assert!(loopback_sources("::1".parse().unwrap(), 19_000, 5_000).is_empty());
        if cfg!(target_os = "linux") {
            let s = loopback_sources(lo, 19_000, 5_000);
            assert_eq!(s.len(), 4);
            assert_eq!(s[0], IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
            assert_eq!(s[3], IpAddr::V4(Ipv4Addr::new(127, 0, 0, 5)));
            assert_eq!(loopback_sources(lo, 2_000, 500).len(), 4);
            assert_eq!(loopback_sources(lo, u32::MAX, 1).len(), 250);
        }
    }

    #[test]
    fn more_than_the_limit_is_refused_with_figures() {
        let target = SocketAddr::from(([127, 0, 0, 1], 1));
        if let Some(limit) = fd_limit() {
            let asked = u32::try_from(limit + 1).unwrap_or(u32::MAX);
            match check(asked, target, &[]) {
                Err(NetError::TooManyConnections {
                    asked: a, limit: l, ..
                }) => {
                    assert_eq!(a, asked);
                    assert_eq!(l, limit);
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(check(10, target, &[]).is_ok());
    }
}
