//! UDP multicast: which groups to join on which interface, TTL (IPv6 hop
//! limit), loopback of our own multicast, and the interface multicast sends
//! leave by. Applied at open and changed at run time by commands.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use socket2::{InterfaceIndexOrAddress, SockRef};

use super::{AddrError, NetError};

/// A network interface, named the way a user names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Iface {
    /// Let the operating system choose.
    #[default]
    Any,
    /// By index (`ip link` and `netsh interface show` list them).
    Index(u32),
    /// By one of its addresses.
    Addr(IpAddr),
    /// By name (`eth0`, `en0`, …).
    Name(String),
}

impl Iface {
    /// Reads an interface as typed: a number is an index, an IP literal an
    /// address, anything else a name. Empty text is [`Iface::Any`].
    pub fn parse(text: &str) -> Iface {
        let t = text.trim();
        if t.is_empty() {
            Iface::Any
        } else if let Ok(index) = t.parse::<u32>() {
            Iface::Index(index)
        } else if let Ok(ip) = t.parse::<IpAddr>() {
            Iface::Addr(ip)
        } else {
            Iface::Name(t.to_string())
        }
    }
}

impl fmt::Display for Iface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Iface::Any => f.write_str("any interface"),
            Iface::Index(i) => write!(f, "{i}"),
            Iface::Addr(ip) => write!(f, "{ip}"),
            Iface::Name(n) => f.write_str(n),
        }
    }
}

/// One multicast group on one interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Membership {
    /// The group address (IPv4 224.0.0.0/4 or IPv6 ff00::/8).
    pub group: IpAddr,
    /// The interface to join it on.
    pub iface: Iface,
}

impl fmt::Display for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.iface {
            Iface::Any => write!(f, "{}", self.group),
            iface => write!(f, "{}@{iface}", self.group),
        }
    }
}

/// Parses `GROUP[@IFACE]`: `239.1.2.3`, `239.1.2.3@eth0`, `ff12::1@2`,
/// `239.1.2.3@192.168.1.5`.
pub fn parse_membership(text: &str) -> Result<Membership, AddrError> {
    let t = text.trim();
    let (group, iface) = match t.rsplit_once('@') {
        Some((_, i)) if i.trim().is_empty() => {
            return Err(AddrError::BadInterface {
                text: t.to_string(),
            });
        }
        Some((g, i)) => (g, Iface::parse(i)),
        None => (t, Iface::Any),
    };
    let group_text = group.trim().trim_start_matches('[').trim_end_matches(']');
    let group: IpAddr = group_text.parse().map_err(|_| AddrError::BadAddress {
        text: group_text.to_string(),
    })?;
    if !group.is_multicast() {
        return Err(AddrError::NotMulticast {
            text: group_text.to_string(),
        });
    }
    Ok(Membership { group, iface })
}

/// Multicast settings that are not group memberships. `None` leaves the
/// operating system's setting (or the current one) as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MulticastOptions {
    /// TTL of multicast sends (IPv6: hop limit); the system default is 1.
    pub ttl: Option<u32>,
    /// Whether our own multicast sends come back to this host's members
    /// (the system default is on).
    pub loopback: Option<bool>,
    /// The interface multicast sends leave by.
    pub iface: Option<Iface>,
}

/// Multicast settings of a UDP session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MulticastConfig {
    /// Groups to join at open.
    pub groups: Vec<Membership>,
    /// TTL, loopback and sending interface.
    pub options: MulticastOptions,
}

/// Joins or leaves `m` on a socket bound to `local`.
pub(crate) fn change(
    socket: SockRef<'_>,
    local: SocketAddr,
    m: &Membership,
    join: bool,
) -> Result<(), NetError> {
    if !m.group.is_multicast() {
        return Err(NetError::NotMulticast { group: m.group });
    }
    let verb = if join { "join" } else { "leave" };
    let os = |e: std::io::Error| NetError::io(format!("cannot {verb} {m}"), &e);
    match m.group {
        IpAddr::V4(group) => {
            let result = match &m.iface {
                Iface::Any | Iface::Addr(IpAddr::V4(_)) => {
                    let addr = match &m.iface {
                        Iface::Addr(IpAddr::V4(a)) => *a,
                        _ => Ipv4Addr::UNSPECIFIED,
                    };
                    if join {
                        socket.join_multicast_v4(&group, &addr)
                    } else {
                        socket.leave_multicast_v4(&group, &addr)
                    }
                }
                iface => {
                    let index = InterfaceIndexOrAddress::Index(index_of(iface)?);
                    if join {
                        socket.join_multicast_v4_n(&group, &index)
                    } else {
                        socket.leave_multicast_v4_n(&group, &index)
                    }
                }
            };
            result.map_err(os)
        }
        IpAddr::V6(group) => {
            if local.is_ipv4() {
                return Err(NetError::GroupFamily {
                    group: m.group,
                    local,
                });
            }
            let index = index_of(&m.iface)?;
            let result = if join {
                socket.join_multicast_v6(&group, index)
            } else {
                socket.leave_multicast_v6(&group, index)
            };
            result.map_err(os)
        }
    }
}

/// Applies every option that is set. On an IPv6 socket the IPv4 options are
/// set as well where the system allows, for IPv4 groups reached through a
/// dual-stack `[::]` socket.
pub(crate) fn apply(
    socket: SockRef<'_>,
    local: SocketAddr,
    opts: &MulticastOptions,
) -> Result<(), NetError> {
    let os = |what: &str, e: std::io::Error| NetError::io(format!("cannot set {what}"), &e);
    let v6 = local.is_ipv6();
    if let Some(ttl) = opts.ttl {
        if v6 {
            socket
                .set_multicast_hops_v6(ttl)
                .map_err(|e| os("the multicast hop limit", e))?;
            let _ = socket.set_multicast_ttl_v4(ttl);
        } else {
            socket
                .set_multicast_ttl_v4(ttl)
                .map_err(|e| os("the multicast TTL", e))?;
        }
    }
    if let Some(on) = opts.loopback {
        if v6 {
            socket
                .set_multicast_loop_v6(on)
                .map_err(|e| os("multicast loopback", e))?;
            let _ = socket.set_multicast_loop_v4(on);
        } else {
            socket
                .set_multicast_loop_v4(on)
                .map_err(|e| os("multicast loopback", e))?;
        }
    }
    if let Some(iface) = &opts.iface {
        if v6 {
            socket
                .set_multicast_if_v6(index_of(iface)?)
                .map_err(|e| os("the multicast interface", e))?;
        } else {
            socket
                .set_multicast_if_v4(&ipv4_of(iface)?)
                .map_err(|e| os("the multicast interface", e))?;
        }
    }
    Ok(())
}

fn interfaces(iface: &Iface) -> Result<Vec<if_addrs::Interface>, NetError> {
    if_addrs::get_if_addrs()
        .map_err(|e| NetError::io("cannot list the network interfaces", &e))
        .map(|all| {
            all.into_iter()
                .filter(|i| match iface {
                    Iface::Any => false,
                    Iface::Index(n) => i.index == Some(*n),
                    Iface::Addr(ip) => i.ip() == *ip,
                    Iface::Name(name) => i.name == *name,
                })
                .collect()
        })
}

fn no_such(iface: &Iface) -> NetError {
    NetError::NoSuchInterface {
        iface: iface.to_string(),
    }
}

/// The interface's index (0: let the system choose).
fn index_of(iface: &Iface) -> Result<u32, NetError> {
    match iface {
        Iface::Any => Ok(0),
        Iface::Index(n) => Ok(*n),
        other => interfaces(other)?
            .iter()
            .find_map(|i| i.index)
            .ok_or_else(|| no_such(other)),
    }
}

/// An IPv4 address of the interface (0.0.0.0: let the system choose).
fn ipv4_of(iface: &Iface) -> Result<Ipv4Addr, NetError> {
    match iface {
        Iface::Any => Ok(Ipv4Addr::UNSPECIFIED),
        Iface::Addr(IpAddr::V4(a)) => Ok(*a),
        other => {
            // Every address of the interface named, then its IPv4 one.
            let index = index_of(other)?;
            if_addrs::get_if_addrs()
                .map_err(|e| NetError::io("cannot list the network interfaces", &e))?
                .into_iter()
                .filter(|i| i.index == Some(index))
                .find_map(|i| match i.ip() {
                    IpAddr::V4(a) => Some(a),
                    IpAddr::V6(_) => None,
                })
                .ok_or_else(|| no_such(other))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memberships_parse() {
        let m = parse_membership("239.1.2.3").unwrap();
        assert_eq!(m.group, "239.1.2.3".parse::<IpAddr>().unwrap());
        assert_eq!(m.iface, Iface::Any);
        assert_eq!(m.to_string(), "239.1.2.3");
        let m = parse_membership("239.1.2.3@eth0").unwrap();
        assert_eq!(m.iface, Iface::Name("eth0".into()));
        assert_eq!(m.to_string(), "239.1.2.3@eth0");
        let m = parse_membership("ff12::1@2").unwrap();
        assert_eq!(m.iface, Iface::Index(2));
        let m = parse_membership("[ff02::fb]@10.0.0.1").unwrap();
        assert_eq!(m.group, "ff02::fb".parse::<IpAddr>().unwrap());
        assert_eq!(m.iface, Iface::Addr("10.0.0.1".parse().unwrap()));
        assert!(matches!(
            parse_membership("10.0.0.1"),
            Err(AddrError::NotMulticast { .. })
        ));
        assert!(matches!(
            parse_membership("239.1.2@eth0"),
            Err(AddrError::BadAddress { .. })
        ));
        assert!(matches!(
            parse_membership("239.1.2.3@"),
            Err(AddrError::BadInterface { .. })
        ));
    }

    #[test]
    fn unknown_interface_is_named() {
        let err = index_of(&Iface::Name("no-such-if0".into())).unwrap_err();
        assert_eq!(
            err,
            NetError::NoSuchInterface {
                iface: "no-such-if0".into()
            }
        );
    }
}
