//! Ethernet frames with IPv4/IPv6 and TCP/UDP headers around a payload, with
//! valid checksums: the packets a capture on the wire would have shown. The
//! `etherparse` crate's `PacketBuilder` writes the headers, their lengths and
//! checksums; this module chooses the fields.

use std::net::{IpAddr, SocketAddr};

use etherparse::{IpHeaders, Ipv4Header, Ipv6Header, PacketBuilder, UdpHeader};

pub(crate) use etherparse::err::packet::BuildVecWriteError as FrameError;

/// Our end's made-up hardware address (locally administered).
const LOCAL_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
/// Every peer's made-up hardware address.
const REMOTE_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

/// IPv4 time to live and IPv6 hop limit.
const HOP_LIMIT: u8 = 64;

/// The advertised receive window (no window scaling is negotiated).
const WINDOW: u16 = u16::MAX;

/// Largest UDP payload an IP packet can carry: IPv4's total length and
/// IPv6's payload length are 16-bit fields.
pub(crate) fn max_udp_payload(ipv6: bool) -> usize {
    let ip_header = if ipv6 { 0 } else { Ipv4Header::MIN_LEN };
    usize::from(u16::MAX) - ip_header - UdpHeader::LEN
}

/// TCP flag bits.
pub(crate) mod flags {
    /// No more data from the sender.
    pub(crate) const FIN: u8 = 0x01;
    /// Synchronise sequence numbers (connection set-up).
    pub(crate) const SYN: u8 = 0x02;
    /// Reset the connection.
    pub(crate) const RST: u8 = 0x04;
    /// Push the data to the application.
    pub(crate) const PSH: u8 = 0x08;
    /// The acknowledgement number is valid.
    pub(crate) const ACK: u8 = 0x10;
}

/// One TCP segment's header fields.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct TcpHeader {
    /// Sequence number of the first payload byte (or of the SYN/FIN).
    pub(crate) seq: u32,
    /// Next sequence number expected from the other end.
    pub(crate) ack: u32,
    /// Flag bits, see [`flags`].
    pub(crate) flags: u8,
}

/// The layer-4 part of a packet.
#[derive(Copy, Clone, Debug)]
pub(crate) enum Transport {
    /// A TCP segment.
    Tcp(TcpHeader),
    /// A UDP datagram.
    Udp,
}

/// Both ends of a packet: same address family (the caller sees to it).
#[derive(Copy, Clone, Debug)]
pub(crate) struct Ends {
    /// Source address and port.
    pub(crate) src: SocketAddr,
    /// Destination address and port.
    pub(crate) dst: SocketAddr,
    /// Whether the source is our end (picks the hardware addresses).
    pub(crate) from_local: bool,
}

/// Writes a whole Ethernet frame into `buf` (cleared first). `ip_id` is the
/// IPv4 identification field (unused for IPv6). The payload must fit in one
/// IP packet: the caller splits or refuses bigger ones, and a bigger one is
/// an error here, not a frame with wrong lengths.
pub(crate) fn build(
    buf: &mut Vec<u8>,
    ends: Ends,
    transport: Transport,
    payload: &[u8],
    ip_id: u16,
) -> Result<(), FrameError> {
    buf.clear();
    let (src_mac, dst_mac) = if ends.from_local {
        (LOCAL_MAC, REMOTE_MAC)
    } else {
        (REMOTE_MAC, LOCAL_MAC)
    };
    let ip = match (ends.src.ip(), ends.dst.ip()) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => IpHeaders::Ipv4(
            Ipv4Header {
                identification: ip_id,
                dont_fragment: true,
                time_to_live: HOP_LIMIT,
                source: src.octets(),
                destination: dst.octets(),
                ..Ipv4Header::default()
            },
            Default::default(),
        ),
        (src, dst) => IpHeaders::Ipv6(
            Ipv6Header {
                hop_limit: HOP_LIMIT,
                source: v6_octets(src),
                destination: v6_octets(dst),
                ..Ipv6Header::default()
            },
            Default::default(),
        ),
    };
    // Lengths, protocol numbers, the ether type and every checksum are
    // filled in by the builder (a computed UDP checksum of zero goes out as
    // all ones, as UDP requires).
    let step = PacketBuilder::ethernet2(src_mac, dst_mac).ip(ip);
    let (src_port, dst_port) = (ends.src.port(), ends.dst.port());
    match transport {
        Transport::Tcp(h) => {
            let mut tcp = etherparse::TcpHeader::new(src_port, dst_port, h.seq, WINDOW);
            tcp.acknowledgment_number = h.ack;
            tcp.fin = h.flags & flags::FIN != 0;
            tcp.syn = h.flags & flags::SYN != 0;
            tcp.rst = h.flags & flags::RST != 0;
            tcp.psh = h.flags & flags::PSH != 0;
            tcp.ack = h.flags & flags::ACK != 0;
            let step = step.tcp_header(tcp);
            buf.reserve(step.size(payload.len()));
            step.write_to_vec(buf, payload)
        }
        Transport::Udp => {
            let step = step.udp(src_port, dst_port);
            buf.reserve(step.size(payload.len()));
            step.write_to_vec(buf, payload)
        }
    }
}

/// An IPv4 address as its IPv4-mapped IPv6 form, an IPv6 one as is.
fn v6_octets(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
        IpAddr::V6(v6) => v6.octets(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETH_LEN: usize = etherparse::Ethernet2Header::LEN;
    const IPV4_LEN: usize = Ipv4Header::MIN_LEN;
    const IPV6_LEN: usize = Ipv6Header::LEN;
    const TCP_LEN: usize = etherparse::TcpHeader::MIN_LEN;
    const UDP_LEN: usize = UdpHeader::LEN;
    const PROTO_TCP: u8 = 6;
    const PROTO_UDP: u8 = 17;

    /// The Internet checksum (RFC 1071) over several parts, written out
    /// here to check the builder's checksums independently of it.
    fn checksum(parts: &[&[u8]]) -> u16 {
        let mut sum: u64 = 0;
        for part in parts {
            for pair in part.chunks(2) {
                sum += u64::from(pair[0]) << 8 | u64::from(pair.get(1).copied().unwrap_or(0));
            }
        }
        while sum > 0xFFFF {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        !(sum as u16)
    }

    /// Payloads whose UDP checksum comes out as zero (sent as all ones)
    /// in the "udp zero sum" cases.
    const V4_ZERO_SUM: [u8; 2] = [0x1b, 0x53];
    const V6_ZERO_SUM: [u8; 2] = [0x17, 0x6d];

    fn ends(src: &str, dst: &str) -> Ends {
        Ends {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            from_local: true,
        }
    }

    /// The frames of [`GOLDEN`]: each name, its ends, layer 4 and payload.
    fn golden_cases() -> Vec<(&'static str, Ends, Transport, Vec<u8>, u16)> {
        let tcp = |seq, ack, flags| Transport::Tcp(TcpHeader { seq, ack, flags });
        let v4 = ends("127.0.0.1:50123", "127.0.0.2:8888");
        let v4_in = Ends {
            from_local: false,
            ..ends("127.0.0.2:8888", "127.0.0.1:50123")
        };
        let v6 = ends("[::1]:40000", "[2001:db8::7]:7788");
        let v6_in = Ends {
            from_local: false,
            ..ends("[2001:db8::7]:7788", "[::1]:40000")
        };
        let text = "hello, 你好\r\n".as_bytes().to_vec();
        vec![
            ("v4 syn", v4, tcp(0x8000_0001, 0, flags::SYN), vec![], 1),
            (
                "v4 syn-ack",
                v4_in,
                tcp(0xFFFF_FFFF, 0x8000_0002, flags::SYN | flags::ACK),
                vec![],
                2,
            ),
            ("v4 ack", v4, tcp(0x8000_0002, 0, flags::ACK), vec![], 3),
            (
                "v4 data",
                v4,
                tcp(0x8000_0002, 0, flags::PSH | flags::ACK),
                text.clone(),
                4,
            ),
            (
                "v4 data in",
                v4_in,
                tcp(0, 0x8000_0011, flags::PSH | flags::ACK),
                b"odd".to_vec(),
                0xFFFF,
            ),
            (
                "v4 fin",
                v4_in,
                tcp(3, 0x8000_0011, flags::FIN | flags::ACK),
                vec![],
                0,
            ),
            (
                "v4 rst",
                v4,
                tcp(0x8000_0011, 4, flags::RST | flags::ACK),
                vec![],
                7,
            ),
            ("v4 udp", v4_in, Transport::Udp, text.clone(), 8),
            ("v4 udp empty", v4, Transport::Udp, vec![], 9),
            (
                "v4 udp zero sum",
                v4,
                Transport::Udp,
                V4_ZERO_SUM.to_vec(),
                10,
            ),
            ("v6 syn", v6_in, tcp(0x1234_5678, 0, flags::SYN), vec![], 1),
            (
                "v6 syn-ack",
                v6,
                tcp(42, 0x1234_5679, flags::SYN | flags::ACK),
                vec![],
                2,
            ),
            (
                "v6 data",
                v6,
                tcp(43, 0x1234_5679, flags::PSH | flags::ACK),
                text.clone(),
                3,
            ),
            (
                "v6 fin",
                v6_in,
                tcp(0x1234_5679, 59, flags::FIN | flags::ACK),
                vec![],
                4,
            ),
            (
                "v6 rst",
                v6_in,
                tcp(0x1234_567A, 59, flags::RST | flags::ACK),
                vec![],
                5,
            ),
            ("v6 udp", v6, Transport::Udp, b"odd".to_vec(), 6),
            (
                "v6 udp zero sum",
                v6_in,
                Transport::Udp,
                V6_ZERO_SUM.to_vec(),
                7,
            ),
            (
                "mixed families",
                ends("127.0.0.1:1", "[::1]:2"),
                Transport::Udp,
                b"x".to_vec(),
                8,
            ),
        ]
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The frames [`golden_cases`] gave with the hand-written builder this
    /// module had before it used etherparse (checked with tshark then), in
    /// hex: the bytes must not change.
    const GOLDEN: &[(&str, &str)] = &[
        (
            "v4 syn",
            "0200000000020200000000010800450000280001400040063ccc7f0000017f000002c3cb22b880000001000000005002ffff4b5a0000",
        ),
        (
            "v4 syn-ack",
            "0200000000010200000000020800450000280002400040063ccb7f0000027f00000122b8c3cbffffffff800000025012ffff4b490000",
        ),
        (
            "v4 ack",
            "0200000000020200000000010800450000280003400040063cca7f0000017f000002c3cb22b880000002000000005010ffff4b4b0000",
        ),
        (
            "v4 data",
            "0200000000020200000000010800450000370004400040063cba7f0000017f000002c3cb22b880000002000000005018ffff7bfd000068656c6c6f2c20e4bda0e5a5bd0d0a",
        ),
        (
            "v4 data in",
            "02000000000102000000000208004500002bffff400040063cca7f0000027f00000122b8c3cb00000000800000115018ffff77cc00006f6464",
        ),
        (
            "v4 fin",
            "0200000000010200000000020800450000280000400040063ccd7f0000027f00000122b8c3cb00000003800000115011ffff4b380000",
        ),
        (
            "v4 rst",
            "0200000000020200000000010800450000280007400040063cc67f0000017f000002c3cb22b880000011000000045014ffff4b340000",
        ),
        (
            "v4 udp",
            "02000000000102000000000208004500002b0008400040113cb77f0000027f00000122b8c3cb00174c0268656c6c6f2c20e4bda0e5a5bd0d0a",
        ),
        (
            "v4 udp empty",
            "02000000000202000000000108004500001c0009400040113cc57f0000017f000002c3cb22b800081b57",
        ),
        (
            "v4 udp zero sum",
            "02000000000202000000000108004500001e000a400040113cc27f0000017f000002c3cb22b8000affff1b53",
        ),
        (
            "v6 syn",
            "02000000000102000000000286dd600000000014064020010db8000000000000000000000007000000000000000000000000000000011e6c9c4012345678000000005002ffff5ec90000",
        ),
        (
            "v6 syn-ack",
            "02000000000202000000000186dd60000000001406400000000000000000000000000000000120010db80000000000000000000000079c401e6c0000002a123456795012ffff5e8e0000",
        ),
        (
            "v6 data",
            "02000000000202000000000186dd60000000002306400000000000000000000000000000000120010db80000000000000000000000079c401e6c0000002b123456795018ffff8f41000068656c6c6f2c20e4bda0e5a5bd0d0a",
        ),
        (
            "v6 fin",
            "02000000000102000000000286dd600000000014064020010db8000000000000000000000007000000000000000000000000000000011e6c9c40123456790000003b5011ffff5e7e0000",
        ),
        (
            "v6 rst",
            "02000000000102000000000286dd600000000014064020010db8000000000000000000000007000000000000000000000000000000011e6c9c401234567a0000003b5014ffff5e7a0000",
        ),
        (
            "v6 udp",
            "02000000000202000000000186dd60000000000b11400000000000000000000000000000000120010db80000000000000000000000079c401e6c000b44066f6464",
        ),
        (
            "v6 udp zero sum",
            "02000000000102000000000286dd60000000000a114020010db8000000000000000000000007000000000000000000000000000000011e6c9c40000affff176d",
        ),
        (
            "mixed families",
            "02000000000202000000000186dd600000000009114000000000000000000000ffff7f0000010000000000000000000000000000000100010002000908d778",
        ),
    ];

    #[test]
    fn frames_are_byte_for_byte_the_recorded_ones() {
        let cases = golden_cases();
        assert_eq!(cases.len(), GOLDEN.len());
        let mut buf = Vec::new();
        for ((name, e, t, payload, id), (golden_name, golden)) in cases.into_iter().zip(GOLDEN) {
            assert_eq!(name, *golden_name);
            build(&mut buf, e, t, &payload, id).unwrap();
            assert_eq!(hex(&buf), *golden, "{name}");
        }
    }

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&[&data]), !0xddf2);
        // An odd length pads with a zero byte.
        assert_eq!(checksum(&[&[0x01]]), !0x0100);
    }

    /// A correct checksum makes the sum over the covered bytes all ones.
    fn verifies(parts: &[&[u8]]) -> bool {
        checksum(parts) == 0
    }

    #[test]
    fn ipv4_tcp_headers_and_checksums() {
        let mut buf = Vec::new();
        let h = TcpHeader {
            seq: 1000,
            ack: 2000,
            flags: flags::PSH | flags::ACK,
        };
        build(
            &mut buf,
            ends("127.0.0.1:5000", "127.0.0.2:80"),
            Transport::Tcp(h),
            b"hello",
            7,
        )
        .unwrap();
        assert_eq!(buf.len(), ETH_LEN + IPV4_LEN + TCP_LEN + 5);
        assert_eq!(&buf[0..6], &REMOTE_MAC);
        assert_eq!(&buf[6..12], &LOCAL_MAC);
        assert_eq!(&buf[12..14], &[0x08, 0x00]);
        let ip = &buf[ETH_LEN..ETH_LEN + IPV4_LEN];
        assert_eq!(u16::from_be_bytes([ip[2], ip[3]]), 45);
        assert_eq!(u16::from_be_bytes([ip[4], ip[5]]), 7);
        assert_eq!(ip[9], PROTO_TCP);
        assert!(verifies(&[ip]));
        let tcp = &buf[ETH_LEN + IPV4_LEN..];
        assert_eq!(&tcp[0..4], &[0x13, 0x88, 0x00, 0x50]);
        assert_eq!(u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]), 1000);
        assert_eq!(u32::from_be_bytes([tcp[8], tcp[9], tcp[10], tcp[11]]), 2000);
        assert_eq!(tcp[13], 0x18);
        assert_eq!(&tcp[20..], b"hello");
        let pseudo = [
            &[127, 0, 0, 1, 127, 0, 0, 2, 0, PROTO_TCP][..],
            &(tcp.len() as u16).to_be_bytes(),
        ]
        .concat();
        assert!(verifies(&[&pseudo, tcp]));
    }

    #[test]
    fn ipv6_udp_headers_and_checksums() {
        let mut buf = Vec::new();
        let e = Ends {
            from_local: false,
            ..ends("[::1]:7788", "[fe80::1]:9")
        };
        build(&mut buf, e, Transport::Udp, b"odd", 0).unwrap();
        assert_eq!(buf.len(), ETH_LEN + IPV6_LEN + UDP_LEN + 3);
        assert_eq!(&buf[0..6], &LOCAL_MAC);
        assert_eq!(&buf[12..14], &[0x86, 0xDD]);
        let ip = &buf[ETH_LEN..ETH_LEN + IPV6_LEN];
        assert_eq!(ip[0] >> 4, 6);
        assert_eq!(u16::from_be_bytes([ip[4], ip[5]]), 11);
        assert_eq!(ip[6], PROTO_UDP);
        let udp = &buf[ETH_LEN + IPV6_LEN..];
        assert_eq!(u16::from_be_bytes([udp[4], udp[5]]), 11);
        assert_ne!(&udp[6..8], &[0, 0]);
        let pseudo = [&ip[8..40], &[0, 0, 0, 11, 0, 0, 0, PROTO_UDP][..]].concat();
        assert!(verifies(&[&pseudo, udp]));
    }

    #[test]
    fn largest_udp_payloads_fit_the_length_fields() {
        let mut buf = Vec::new();
        let payload = vec![0xAB; max_udp_payload(false)];
        build(
            &mut buf,
            ends("10.0.0.1:1", "10.0.0.2:2"),
            Transport::Udp,
            &payload,
            0,
        )
        .unwrap();
        let ip = &buf[ETH_LEN..];
        assert_eq!(u16::from_be_bytes([ip[2], ip[3]]), u16::MAX);
        let payload = vec![0xAB; max_udp_payload(true)];
        build(
            &mut buf,
            ends("[::1]:1", "[::1]:2"),
            Transport::Udp,
            &payload,
            0,
        )
        .unwrap();
        let ip = &buf[ETH_LEN..];
        assert_eq!(u16::from_be_bytes([ip[4], ip[5]]), u16::MAX);
    }

    #[test]
    fn a_payload_too_big_for_the_length_fields_is_an_error() {
        let mut buf = Vec::new();
        for (e, ipv6) in [
            (ends("10.0.0.1:1", "10.0.0.2:2"), false),
            (ends("[::1]:1", "[::1]:2"), true),
        ] {
            let payload = vec![0; max_udp_payload(ipv6) + 1];
            assert!(build(&mut buf, e, Transport::Udp, &payload, 0).is_err());
        }
    }
}
