//! Multicast in the window: join a group at open and at run time, see what
//! the group receives, leave it. Runs inside a private network namespace
//! the test makes (tests/it/netns.rs), so nothing leaves the machine.

use crate::support;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

use egui_kittest::kittest::Queryable;
use netassist::i18n::{T, fill};
use support::*;

#[cfg(target_os = "linux")]
use crate::netns;

#[cfg(target_os = "linux")]
#[test]
fn window_multicast_in_a_private_network_namespace() {
    netns::run_inner(module_path!(), "inner_window_multicast");
}

#[cfg(target_os = "linux")]
#[test]
#[ignore = "runs only inside the namespace its outer test makes"]
fn inner_window_multicast() {
    netns::enter();
    let group = Ipv4Addr::new(239, 1, 2, 3);
    let mut h = app();
    choose(&mut h, en(T::Protocol), "UDP");
    choose(&mut h, en(T::LocalAddr), "0.0.0.0");
    set_field(&mut h, en(T::LocalPort), "0");
    set_field(&mut h, en(T::RemoteHost), "");
    set_field(&mut h, en(T::RemotePort), "");
    click(&mut h, en(T::Multicast));
    // A bad group is said at the field and joins nothing.
    set_field(&mut h, en(T::JoinGroup), "10.0.0.1");
    click(&mut h, en(T::JoinBtn));
    wait_text(&mut h, &fill(en(T::ErrGroup), &[&"10.0.0.1"]));
    // Closed: the group is joined at open.
    let member = format!("{group}@{}", netns::IFACE);
    set_field(&mut h, en(T::JoinGroup), &member);
    click(&mut h, en(T::JoinBtn));
    wait_text(&mut h, &member);
    click(&mut h, en(T::Open));
    let local = shown_addr(&mut h, T::BoundTo);
    wait_text(&mut h, en(T::GroupsJoined));
    step_until(&mut h, "the group joined", |h| {
        let log = h.state().tab().session.log();
        log.groups()
            .iter()
            .any(|g| g.to_string() == member)
            .then_some(())
    });
    wait_text(&mut h, &member);

    let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    sock.set_multicast_if_v4(&netns::ADDR_V4).unwrap();
    sock.bind(&SocketAddr::from((netns::ADDR_V4, 0)).into())
        .unwrap();
    let sender: UdpSocket = sock.into();
    let to = SocketAddr::from((group, local.port()));
    sender.send_to("组播 hello".as_bytes(), to).unwrap();
    let row = wait_text(&mut h, "组播 hello");
    assert!(row.contains(" RX "), "{row}");

    // Leave: the group's datagrams no longer arrive.
    click(&mut h, en(T::LeaveBtn));
    wait_text(&mut h, &fill(en(T::EvLeft), &[&member]));
    sender.send_to(b"after leaving", to).unwrap();
    let end = std::time::Instant::now() + QUIET;
    while std::time::Instant::now() < end {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!has_text(&h, "after leaving"), "{:?}", log_rows(&h));
    assert!(h.query_by_label(en(T::LeaveBtn)).is_none());
}
