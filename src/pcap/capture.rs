//! The synthesiser: turns what the sockets did (connects, reads, sends,
//! closes) into the packets that carried it, and writes them as pcapng.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, SystemTime};

use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};

use super::PcapError;
use super::frame::{self, Ends, TcpHeader, Transport, flags};

/// Largest TCP payload put in one synthesised segment; longer reads and
/// sends are split.
pub const MAX_SEGMENT: usize = 32 * 1024;

/// Distinct peers whose route source address is remembered before the cache
/// starts afresh (so a UDP session with endless senders stays bounded).
const SOURCE_CACHE: usize = 1024;

/// EPB flag bits for the packet's direction (pcapng `epb_flags`).
const INBOUND: u32 = 0b01;
const OUTBOUND: u32 = 0b10;

/// One end of a conversation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// This machine: NetAssist's socket.
    Local,
    /// The peer.
    Remote,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::Local => Side::Remote,
            Side::Remote => Side::Local,
        }
    }

    fn index(self) -> usize {
        match self {
            Side::Local => 0,
            Side::Remote => 1,
        }
    }
}

/// What a finished capture holds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureSummary {
    /// Packets written.
    pub packets: u64,
    /// UDP datagrams left out because no IP packet can hold them (only a
    /// store that merged several datagrams into one record could have them).
    pub oversized: u64,
}

/// One TCP connection's sequence space.
#[derive(Clone, Debug)]
struct Flow {
    local: SocketAddr,
    remote: SocketAddr,
    /// Next sequence number of each side, by [`Side::index`].
    next: [u32; 2],
    /// Whether each side has sent its FIN.
    fin: [bool; 2],
}

impl Flow {
    fn ends(&self, from: Side) -> Ends {
        match from {
            Side::Local => Ends {
                src: self.local,
                dst: self.remote,
                from_local: true,
            },
            Side::Remote => Ends {
                src: self.remote,
                dst: self.local,
                from_local: false,
            },
        }
    }

    fn header(&self, from: Side, flags: u8) -> TcpHeader {
        TcpHeader {
            seq: self.next[from.index()],
            ack: if flags & frame::flags::ACK != 0 {
                self.next[from.other().index()]
            } else {
                0
            },
            flags,
        }
    }
}

/// A pcapng writer fed with socket facts. Each TCP connection is known by
/// its peer's address (within one session a peer address names at most one
/// live connection); only live connections are held, so memory stays
/// bounded however long the capture runs.
pub struct Capture<W: Write> {
    out: PcapNgWriter<W>,
    flows: HashMap<SocketAddr, Flow>,
    /// The session's own address, for UDP and for connections first seen
    /// after their start.
    local: Option<SocketAddr>,
    /// Our source address towards a peer, for a local address that is a
    /// wildcard (`0.0.0.0`, `[::]`).
    sources: HashMap<IpAddr, IpAddr>,
    last: Duration,
    frame: Vec<u8>,
    ip_id: u16,
    summary: CaptureSummary,
}

impl<W: Write> Capture<W> {
    /// Starts a capture: writes the section header and one Ethernet
    /// interface with nanosecond timestamps.
    pub fn new(out: W) -> Result<Capture<W>, PcapError> {
        let section = SectionHeaderBlock {
            options: vec![SectionHeaderOption::UserApplication(Cow::Owned(format!(
                "NetAssist {}",
                env!("CARGO_PKG_VERSION")
            )))],
            ..SectionHeaderBlock::default()
        };
        let mut out = PcapNgWriter::with_section_header(out, section)?;
        out.write_pcapng_block(InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen: 0,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("netassist")),
                InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                    "packets rebuilt by NetAssist from its socket log",
                )),
                // The writer stores timestamps in nanoseconds.
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        })?;
        Ok(Capture {
            out,
            flows: HashMap::new(),
            local: None,
            sources: HashMap::new(),
            last: Duration::ZERO,
            frame: Vec::new(),
            ip_id: 0,
            summary: CaptureSummary::default(),
        })
    }

    /// Sets the session's own address (as it was opened; a wildcard is
    /// replaced per peer by this machine's source address towards it).
    pub fn set_local(&mut self, local: Option<SocketAddr>) {
        self.local = local;
    }

    /// A TCP connection was set up: SYN, SYN-ACK, ACK, the first from `opener`.
    pub fn tcp_connect(
        &mut self,
        time: SystemTime,
        local: SocketAddr,
        remote: SocketAddr,
        opener: Side,
    ) -> Result<(), PcapError> {
        let mut flow = self.new_flow(local, remote);
        let other = opener.other();
        self.tcp_packet(time, &flow, opener, flags::SYN, &[])?;
        // SYN and FIN each take one sequence number.
        flow.next[opener.index()] = flow.next[opener.index()].wrapping_add(1);
        self.tcp_packet(time, &flow, other, flags::SYN | flags::ACK, &[])?;
        flow.next[other.index()] = flow.next[other.index()].wrapping_add(1);
        self.tcp_packet(time, &flow, opener, flags::ACK, &[])?;
        self.flows.insert(flow.remote, flow);
        Ok(())
    }

    /// Registers a connection that was set up before the capture's first
    /// record, writing nothing.
    pub fn tcp_known(&mut self, local: SocketAddr, remote: SocketAddr) {
        let flow = self.new_flow(local, remote);
        self.flows.insert(flow.remote, flow);
    }

    /// A connection's state before its first packet.
    fn new_flow(&mut self, local: SocketAddr, remote: SocketAddr) -> Flow {
        let (local, remote) = self.concrete(local, remote);
        Flow {
            local,
            remote,
            next: [initial_seq(local, remote), initial_seq(remote, local)],
            fin: [false; 2],
        }
    }

    /// Bytes went over a TCP connection from `from`: one segment per
    /// [`MAX_SEGMENT`] bytes, each acknowledged by the other side.
    pub fn tcp_data(
        &mut self,
        time: SystemTime,
        remote: SocketAddr,
        from: Side,
        data: &[u8],
    ) -> Result<(), PcapError> {
        let mut flow = self.flow(remote);
        for chunk in data.chunks(MAX_SEGMENT) {
            self.segment_acked(time, &mut flow, from, flags::PSH | flags::ACK, chunk)?;
        }
        self.flows.insert(flow.remote, flow);
        Ok(())
    }

    /// `from` finished sending (FIN), and the other side acknowledged it.
    /// A second FIN from the same side writes nothing.
    pub fn tcp_fin(
        &mut self,
        time: SystemTime,
        remote: SocketAddr,
        from: Side,
    ) -> Result<(), PcapError> {
        let mut flow = self.flow(remote);
        if !flow.fin[from.index()] {
            self.segment_acked(time, &mut flow, from, flags::FIN | flags::ACK, &[])?;
            flow.fin[from.index()] = true;
        }
        self.flows.insert(flow.remote, flow);
        Ok(())
    }

    /// `from` reset the connection (RST); it is over.
    pub fn tcp_reset(
        &mut self,
        time: SystemTime,
        remote: SocketAddr,
        from: Side,
    ) -> Result<(), PcapError> {
        let flow = self.flow(remote);
        self.tcp_packet(time, &flow, from, flags::RST | flags::ACK, &[])?;
        Ok(())
    }

    /// Our socket for this connection is closed: nothing more of it can be
    /// seen, so it is forgotten (no packet is written).
    pub fn tcp_forget(&mut self, remote: SocketAddr) {
        self.flows.remove(&remote);
    }

    /// The session closed every connection it had: our FIN on each that
    /// has not sent one, then each is forgotten.
    pub fn tcp_close_all(&mut self, time: SystemTime) -> Result<(), PcapError> {
        let mut remotes: Vec<SocketAddr> = self.flows.keys().copied().collect();
        remotes.sort();
        for remote in remotes {
            self.tcp_fin(time, remote, Side::Local)?;
            self.tcp_forget(remote);
        }
        Ok(())
    }

    /// A UDP datagram between the session's address and `remote`.
    pub fn udp(
        &mut self,
        time: SystemTime,
        remote: SocketAddr,
        from: Side,
        data: &[u8],
    ) -> Result<(), PcapError> {
        let local = self.local.unwrap_or_else(|| unspecified_like(remote));
        self.udp_between(time, local, remote, from, data)
    }

    /// A UDP datagram between `local` (not the session's address: a
    /// relay's socket towards its target) and `remote`.
    pub fn udp_between(
        &mut self,
        time: SystemTime,
        local: SocketAddr,
        remote: SocketAddr,
        from: Side,
        data: &[u8],
    ) -> Result<(), PcapError> {
        let (local, remote) = self.concrete(local, remote);
        if data.len() > frame::max_udp_payload(remote.is_ipv6()) {
            self.summary.oversized += 1;
            return Ok(());
        }
        let ends = match from {
            Side::Local => Ends {
                src: local,
                dst: remote,
                from_local: true,
            },
            Side::Remote => Ends {
                src: remote,
                dst: local,
                from_local: false,
            },
        };
        self.packet(time, ends, Transport::Udp, data)
    }

    /// Hands what was written so far to the underlying writer (so a run that
    /// is killed leaves a readable file up to here).
    pub fn flush(&mut self) -> Result<(), PcapError> {
        self.out.get_mut().flush()?;
        Ok(())
    }

    /// Flushes and returns the writer and what was written.
    pub fn finish(self) -> Result<(W, CaptureSummary), PcapError> {
        let mut out = self.out.into_inner();
        out.flush()?;
        Ok((out, self.summary))
    }

    /// Whether a TCP connection to `remote` is known.
    pub(crate) fn is_tcp_peer(&self, remote: SocketAddr) -> bool {
        self.flows.contains_key(&canonical(remote))
    }

    /// What has been written so far.
    pub fn summary(&self) -> CaptureSummary {
        self.summary
    }

    /// The flow for `remote`, taken out of the map (the caller puts it back
    /// when it lives on); one first seen mid-stream starts from the
    /// session's address.
    fn flow(&mut self, remote: SocketAddr) -> Flow {
        let remote = canonical(remote);
        if let Some(flow) = self.flows.remove(&remote) {
            return flow;
        }
        let local = self.local.unwrap_or_else(|| unspecified_like(remote));
        self.new_flow(local, remote)
    }

    /// One segment from `from` (it uses up its payload's sequence numbers,
    /// and one more for a FIN), then the other side's ACK of it.
    fn segment_acked(
        &mut self,
        time: SystemTime,
        flow: &mut Flow,
        from: Side,
        flags: u8,
        payload: &[u8],
    ) -> Result<(), PcapError> {
        self.tcp_packet(time, flow, from, flags, payload)?;
        // A payload is at most MAX_SEGMENT bytes.
        let used = payload.len() as u32 + u32::from(flags & flags::FIN != 0);
        let i = from.index();
        flow.next[i] = flow.next[i].wrapping_add(used);
        self.tcp_packet(time, flow, from.other(), flags::ACK, &[])
    }

    fn tcp_packet(
        &mut self,
        time: SystemTime,
        flow: &Flow,
        from: Side,
        flags: u8,
        payload: &[u8],
    ) -> Result<(), PcapError> {
        let header = flow.header(from, flags);
        self.packet(time, flow.ends(from), Transport::Tcp(header), payload)
    }

    fn packet(
        &mut self,
        time: SystemTime,
        ends: Ends,
        transport: Transport,
        payload: &[u8],
    ) -> Result<(), PcapError> {
        self.ip_id = self.ip_id.wrapping_add(1);
        frame::build(&mut self.frame, ends, transport, payload, self.ip_id)?;
        // Records from different threads may be a little out of order in
        // time; a packet never goes before the one written ahead of it.
        let since_epoch = time
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        self.last = self.last.max(since_epoch);
        let direction = if ends.from_local { OUTBOUND } else { INBOUND };
        let len = u32::try_from(self.frame.len()).unwrap_or(u32::MAX);
        self.out.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: self.last,
            original_len: len,
            data: Cow::Borrowed(&self.frame),
            options: vec![EnhancedPacketOption::Flags(direction)],
        })?;
        self.summary.packets += 1;
        Ok(())
    }

    /// Both addresses in one family, with a wildcard local address replaced
    /// by this machine's source address towards the peer.
    fn concrete(&mut self, local: SocketAddr, remote: SocketAddr) -> (SocketAddr, SocketAddr) {
        let (local, remote) = (canonical(local), canonical(remote));
        if !local.ip().is_unspecified() && local.is_ipv4() == remote.is_ipv4() {
            return (local, remote);
        }
        if self.sources.len() >= SOURCE_CACHE {
            self.sources.clear();
        }
        let ip = *self
            .sources
            .entry(remote.ip())
            .or_insert_with(|| route_source(remote));
        (SocketAddr::new(ip, local.port()), remote)
    }
}

/// An IPv4-mapped IPv6 address as plain IPv4.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The wildcard address of `remote`'s family, port 0.
fn unspecified_like(remote: SocketAddr) -> SocketAddr {
    match remote.ip() {
        IpAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        IpAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    }
}

/// The address this machine sends from towards `remote`: what the routing
/// table picks for a UDP socket connected there. Connecting a UDP socket
/// sends nothing. Falls back to the wildcard address.
fn route_source(remote: SocketAddr) -> IpAddr {
    let any = unspecified_like(remote);
    UdpSocket::bind(any)
        .and_then(|s| {
            s.connect(remote)?;
            s.local_addr()
        })
        .map(|a| a.ip().to_canonical())
        .unwrap_or(any.ip())
}

/// A made-up but stable initial sequence number for one direction (FNV-1a
/// of the two addresses), so the same log always gives the same file.
fn initial_seq(from: SocketAddr, to: SocketAddr) -> u32 {
    let mut hash: u32 = 0x811C_9DC5;
    let text = format!("{from}>{to}");
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn at(ms: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
    }

    #[test]
    fn wildcard_and_mapped_addresses_become_concrete() {
        let mut cap = Capture::new(Vec::new()).unwrap();
        let (local, remote) = cap.concrete(addr("0.0.0.0:7788"), addr("127.0.0.1:9"));
        assert_eq!(
            (local, remote),
            (addr("127.0.0.1:7788"), addr("127.0.0.1:9"))
        );
        // A dual-stack socket's peer in IPv4-mapped form is IPv4.
        let (local, remote) = cap.concrete(addr("[::]:80"), addr("[::ffff:127.0.0.1]:5"));
        assert_eq!((local, remote), (addr("127.0.0.1:80"), addr("127.0.0.1:5")));
        let (local, _) = cap.concrete(addr("[::1]:80"), addr("[::1]:5"));
        assert_eq!(local, addr("[::1]:80"));
    }

    #[test]
    fn sequence_numbers_follow_the_bytes_and_flags() {
        let mut cap = Capture::new(Vec::new()).unwrap();
        let (local, remote) = (addr("127.0.0.1:1000"), addr("127.0.0.1:2000"));
        cap.tcp_connect(at(0), local, remote, Side::Local).unwrap();
        let isn = |from, to| initial_seq(from, to);
        let flow = cap.flows.get(&remote).unwrap().clone();
        assert_eq!(
            flow.next,
            [
                isn(local, remote).wrapping_add(1),
                isn(remote, local).wrapping_add(1)
            ]
        );
        cap.tcp_data(at(1), remote, Side::Local, &vec![7; MAX_SEGMENT + 5])
            .unwrap();
        cap.tcp_fin(at(2), remote, Side::Remote).unwrap();
        cap.tcp_fin(at(2), remote, Side::Remote).unwrap(); // no second FIN
        let after = cap.flows.get(&remote).unwrap();
        let sent = (MAX_SEGMENT + 5) as u32;
        assert_eq!(after.next[0], flow.next[0].wrapping_add(sent));
        assert_eq!(after.next[1], flow.next[1].wrapping_add(1));
        // 3 handshake + 2 segments with 2 ACKs + FIN and its ACK.
        assert_eq!(cap.summary().packets, 9);
        cap.tcp_reset(at(3), remote, Side::Local).unwrap();
        assert!(cap.flows.is_empty());
        cap.tcp_close_all(at(4)).unwrap();
        assert_eq!(cap.summary().packets, 10);
    }

    /// Every frame of a capture: its length and its first bytes (all the
    /// headers, whose checksums cover the rest), in hex.
    fn frame_heads(capture: &[u8]) -> Vec<(usize, String)> {
        let mut reader = pcap_file::pcapng::PcapNgReader::new(capture).unwrap();
        let mut out = Vec::new();
        while let Some(block) = reader.next_block() {
            if let pcap_file::pcapng::Block::EnhancedPacket(p) = block.unwrap() {
                let head = &p.data[..p.data.len().min(HEAD)];
                let hex = head.iter().map(|b| format!("{b:02x}")).collect();
                out.push((p.data.len(), hex));
            }
        }
        out
    }

    /// Ethernet + IPv6 + TCP headers.
    const HEAD: usize = 74;

    /// A send over [`MAX_SEGMENT`] bytes in both families, as the
    /// hand-written frame builder wrote it before etherparse: the same
    /// segments, each acknowledged, with the same bytes.
    #[test]
    fn long_sends_split_into_the_recorded_segments() {
        let mut cap = Capture::new(Vec::new()).unwrap();
        let data: Vec<u8> = (0..MAX_SEGMENT + 5).map(|i| (i * 7 % 251) as u8).collect();
        for (local, remote) in [
            (addr("127.0.0.1:1000"), addr("127.0.0.1:2000")),
            (addr("[::1]:1000"), addr("[::1]:2000")),
        ] {
            cap.tcp_connect(at(0), local, remote, Side::Remote).unwrap();
            cap.tcp_data(at(1), remote, Side::Local, &data).unwrap();
            cap.tcp_fin(at(2), remote, Side::Local).unwrap();
            cap.tcp_reset(at(3), remote, Side::Remote).unwrap();
        }
        let (out, _) = cap.finish().unwrap();
        let got = frame_heads(&out);
        assert_eq!(got.len(), SPLIT_GOLDEN.len());
        for (i, ((len, head), (want_len, want))) in got.iter().zip(SPLIT_GOLDEN).enumerate() {
            assert_eq!((*len, head.as_str()), (*want_len, *want), "frame {i}");
        }
    }

    /// What [`long_sends_split_into_the_recorded_segments`] wrote.
    const SPLIT_GOLDEN: &[(usize, &str)] = &[
        (
            54,
            "0200000000010200000000020800450000280001400040063ccd7f0000017f00000107d003e8cc97354c000000005002ffffa4440000",
        ),
        (
            54,
            "0200000000020200000000010800450000280002400040063ccc7f0000017f00000103e807d024784b82cc97354d5012ffff34390000",
        ),
        (
            54,
            "0200000000010200000000020800450000280003400040063ccb7f0000017f00000107d003e8cc97354d24784b835010ffff343a0000",
        ),
        (
            32822,
            "020000000002020000000001080045008028000440004006bcc97f0000017f00000103e807d024784b83cc97354d5018ffffcb67000000070e151c232a31383f464d545b626970777e85",
        ),
        (
            54,
            "0200000000010200000000020800450000280005400040063cc97f0000017f00000107d003e8cc97354d2478cb835010ffffb4390000",
        ),
        (
            59,
            "02000000000202000000000108004500002d0006400040063cc37f0000017f00000103e807d02478cb83cc97354d5018ffff09640000d5dce3eaf1",
        ),
        (
            54,
            "0200000000010200000000020800450000280007400040063cc77f0000017f00000107d003e8cc97354d2478cb885010ffffb4340000",
        ),
        (
            54,
            "0200000000020200000000010800450000280008400040063cc67f0000017f00000103e807d02478cb88cc97354d5011ffffb4330000",
        ),
        (
            54,
            "0200000000010200000000020800450000280009400040063cc57f0000017f00000107d003e8cc97354d2478cb895010ffffb4330000",
        ),
        (
            54,
            "020000000001020000000002080045000028000a400040063cc47f0000017f00000107d003e8cc97354d2478cb895014ffffb42f0000",
        ),
        (
            74,
            "02000000000102000000000286dd6000000000140640000000000000000000000000000000010000000000000000000000000000000107d003e81caae534000000005002ffffa24a0000",
        ),
        (
            74,
            "02000000000202000000000186dd6000000000140640000000000000000000000000000000010000000000000000000000000000000103e807d0328d37e61caae5355012ffff37c60000",
        ),
        (
            74,
            "02000000000102000000000286dd6000000000140640000000000000000000000000000000010000000000000000000000000000000107d003e81caae535328d37e75010ffff37c70000",
        ),
        (
            32842,
            "02000000000202000000000186dd6000000080140640000000000000000000000000000000010000000000000000000000000000000103e807d0328d37e71caae5355018ffffcef40000",
        ),
        (
            74,
            "02000000000102000000000286dd6000000000140640000000000000000000000000000000010000000000000000000000000000000107d003e81caae535328db7e75010ffffb7c60000",
        ),
        (
            79,
            "02000000000202000000000186dd6000000000190640000000000000000000000000000000010000000000000000000000000000000103e807d0328db7e71caae5355018ffff0cf10000",
        ),
        (
            74,
            "02000000000102000000000286dd6000000000140640000000000000000000000000000000010000000000000000000000000000000107d003e81caae535328db7ec5010ffffb7c10000",
        ),
        (
            74,
            "02000000000202000000000186dd6000000000140640000000000000000000000000000000010000000000000000000000000000000103e807d0328db7ec1caae5355011ffffb7c00000",
        ),
        (
            74,
            "02000000000102000000000286dd6000000000140640000000000000000000000000000000010000000000000000000000000000000107d003e81caae535328db7ed5010ffffb7c00000",
        ),
        (
            74,
            "02000000000102000000000286dd6000000000140640000000000000000000000000000000010000000000000000000000000000000107d003e81caae535328db7ed5014ffffb7bc0000",
        ),
    ];

    #[test]
    fn oversized_datagrams_are_counted_not_written() {
        let mut cap = Capture::new(Vec::new()).unwrap();
        cap.set_local(Some(addr("127.0.0.1:1")));
        cap.udp(at(0), addr("127.0.0.1:2"), Side::Remote, &[0; 70_000])
            .unwrap();
        cap.udp(at(0), addr("127.0.0.1:2"), Side::Remote, &[])
            .unwrap();
        let (out, summary) = cap.finish().unwrap();
        assert_eq!(
            summary,
            CaptureSummary {
                packets: 1,
                oversized: 1
            }
        );
        assert!(!out.is_empty());
    }
}
