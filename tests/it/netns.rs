//! Multicast and broadcast tests run inside a private network namespace that
//! the test makes itself, so no datagram can leave the machine and nothing
//! depends on the host's interfaces.
//!
//! An outer test calls [`run_inner`], which re-runs this test binary for one
//! `#[ignore]`d inner test under `unshare -n` (as root) or `unshare -rn` (as
//! a user). The inner test calls [`enter`] first: it refuses to run anywhere
//! but in that namespace, then brings `lo` up and adds a veth pair, `na0`
//! (10.77.0.1/24, fd77::1/64) and `na1` (10.77.0.2/24, fd77::2/64), both
//! ends inside the namespace, with routes for multicast and for
//! 255.255.255.255 on `na0`. Where no namespace can be made, the outer test
//! fails and says how to run it; it never falls back to the host's network.

#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::process::Command;

/// Set for the inner run.
const INNER_ENV: &str = "NETASSIST_NETNS_INNER";
/// The outer run's network namespace, so the inner run can check it is elsewhere.
const HOST_NS_ENV: &str = "NETASSIST_HOST_NETNS";
/// Printed by [`enter`], so the outer run knows the inner test really ran.
const STARTED: &str = "NETNS-INNER-STARTED";

/// The interface multicast and broadcast tests use, and its addresses.
pub const IFACE: &str = "na0";
/// `na0`'s IPv4 address.
pub const ADDR_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// The directed broadcast address of `na0`'s network.
pub const BROADCAST_V4: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 255);

fn current_netns() -> String {
    std::fs::read_link("/proc/self/ns/net")
        .map(|p| p.display().to_string())
        .unwrap_or_else(|e| panic!("cannot read /proc/self/ns/net: {e}"))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

const HOW_TO: &str = "these tests need a private network namespace: run them as root, or \
     allow unprivileged user namespaces (e.g. `sysctl kernel.unprivileged_userns_clone=1`, \
     or on Ubuntu `sysctl kernel.apparmor_restrict_unprivileged_userns=0`), with `unshare` \
     (util-linux) and `ip` (iproute2) installed";

/// Runs the inner test `name`, in the module `module` (the caller's
/// `module_path!()`), of this test binary inside a new network namespace and
/// fails if it did not run there and pass.
pub fn run_inner(module: &str, name: &str) {
    // The harness names a test by its path without the crate's name.
    let name = match module.split_once("::") {
        Some((_crate, path)) => format!("{path}::{name}"),
        None => name.to_owned(),
    };
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut cmd = Command::new("unshare");
    if is_root() {
        cmd.arg("--net");
    } else {
        cmd.args(["--map-root-user", "--net"]);
    }
    cmd.arg("--")
        .arg(exe)
        .args([
            name.as_str(),
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(INNER_ENV, "1")
        .env(HOST_NS_ENV, current_netns());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run unshare ({e}): {HOW_TO}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = format!("--- inner stdout ---\n{stdout}\n--- inner stderr ---\n{stderr}");
    assert!(
        stdout.contains(STARTED) || stderr.contains(STARTED),
        "no private network namespace could be made: {HOW_TO}\n{report}"
    );
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "inner test {name} failed in its network namespace\n{report}"
    );
}

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ip` ({e}): {HOW_TO}"));
    assert!(
        out.status.success(),
        "ip {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Checks that this is the namespace made by [`run_inner`] (never the
/// host's) and sets up its interfaces.
pub fn enter() {
    let host = std::env::var(HOST_NS_ENV).unwrap_or_default();
    assert!(
        std::env::var_os(INNER_ENV).is_some() && !host.is_empty(),
        "this test only runs inside the network namespace its outer test makes; run the \
         outer test instead"
    );
    assert_ne!(
        current_netns(),
        host,
        "still in the host's network namespace: refusing to send multicast or broadcast"
    );
    println!("{STARTED}");
    ip(&["link", "set", "lo", "up"]);
    ip(&["link", "add", "na0", "type", "veth", "peer", "name", "na1"]);
    ip(&["addr", "add", "10.77.0.1/24", "dev", "na0"]);
    ip(&["addr", "add", "10.77.0.2/24", "dev", "na1"]);
    ip(&["-6", "addr", "add", "fd77::1/64", "dev", "na0", "nodad"]);
    ip(&["-6", "addr", "add", "fd77::2/64", "dev", "na1", "nodad"]);
    ip(&["link", "set", "na0", "up"]);
    ip(&["link", "set", "na1", "up"]);
    ip(&["route", "add", "224.0.0.0/4", "dev", "na0"]);
    ip(&["route", "add", "255.255.255.255/32", "dev", "na0"]);
}

/// The index of `na0` (from `ip -o link show`, which sees this namespace;
/// /sys may still show the host's).
pub fn iface_index() -> u32 {
    let out = Command::new("ip")
        .args(["-o", "link", "show", IFACE])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ip` ({e}): {HOW_TO}"));
    String::from_utf8_lossy(&out.stdout)
        .split(':')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no index for {IFACE}"))
}

/// Watches every UDP packet this namespace receives, with its IP header
/// (a raw socket: the only portable way to see a packet's TTL).
pub struct RawUdp(socket2::Socket);

impl RawUdp {
    /// Opens the raw socket (the namespace's root may).
    pub fn open() -> RawUdp {
        let s = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::RAW,
            Some(socket2::Protocol::UDP),
        )
        .expect("a raw socket inside the namespace");
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("read timeout");
        RawUdp(s)
    }

    /// The TTL of the next IPv4 UDP packet to `port` (panics after 10 s).
    pub fn ttl_to_port(&self, port: u16) -> u8 {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 2048];
        loop {
            let n = self.0.recv(&mut buf).expect("a packet on the raw socket");
            // SAFETY: `recv` initialised the first `n` bytes.
            let pkt: Vec<u8> = buf[..n]
                .iter()
                .map(|b| unsafe { b.assume_init() })
                .collect();
            let ihl = usize::from(pkt[0] & 0x0f) * 4;
            if pkt.len() >= ihl + 4 && u16::from_be_bytes([pkt[ihl + 2], pkt[ihl + 3]]) == port {
                return pkt[8];
            }
        }
    }
}
