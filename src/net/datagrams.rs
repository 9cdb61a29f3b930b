//! Datagrams read in batches.
//!
//! On Linux one `recvmmsg` call takes up to [`BATCH`] datagrams with their
//! senders, and with each the kernel's count of datagrams it dropped at
//! this socket (`SO_RXQ_OVFL`). Elsewhere (Windows, macOS) a loop of
//! `recv_from` takes them one by one, and there is no such count. Either
//! way the datagrams of one batch are copied side by side into one buffer
//! and each is handed out as a slice of it: one allocation per batch, and
//! every datagram exact in bytes and boundaries, in the order it came.
//!
//! Every read goes through mio's `try_io`: on Windows, mio re-arms a
//! socket's readiness only when one of its own calls sees `WouldBlock`.

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use mio::net::UdpSocket;

/// Most datagrams taken in one batch.
pub(crate) const BATCH: usize = 32;

/// Room for one datagram: more than the largest UDP payload (65,507 bytes
/// over IPv4, 65,527 over IPv6), so none is ever cut.
const SLOT: usize = 64 * 1024;

/// Receive slots: [`BATCH`] where one call fills many, one elsewhere.
#[cfg(target_os = "linux")]
const SLOTS: usize = BATCH;
#[cfg(not(target_os = "linux"))]
const SLOTS: usize = 1;

/// The receive buffer a UDP socket asks for: room for a burst of small
/// datagrams while the worker is not running (Linux caps it at
/// `net.core.rmem_max`).
pub(crate) const RECV_BUFFER: usize = 4 * 1024 * 1024;

/// One datagram as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Datagram {
    /// Who sent it.
    pub(crate) from: SocketAddr,
    /// Its exact bytes.
    pub(crate) data: Bytes,
}

/// Reads datagrams in batches from one socket.
pub(crate) struct DatagramReader {
    /// Where the system writes: [`SLOTS`] slots of [`SLOT`] bytes, never
    /// initialised by us (only the pages a datagram touches are ever
    /// backed by memory).
    scratch: Vec<u8>,
    /// The datagrams of the batch being read: sender, and where its bytes
    /// are (in `scratch` on Linux, in `joined` elsewhere).
    found: Vec<(SocketAddr, usize, usize)>,
    /// Elsewhere: the batch's datagrams side by side.
    #[cfg(not(target_os = "linux"))]
    joined: Vec<u8>,
    /// Elsewhere: an error met after some datagrams, for the next read.
    #[cfg(not(target_os = "linux"))]
    pending: Option<io::Error>,
    #[cfg(target_os = "linux")]
    sys: linux::Buffers,
    drops: DropCount,
}

impl DatagramReader {
    /// A reader with its buffers (address space for [`SLOTS`] datagrams of
    /// the largest size; memory only for what datagrams fill).
    pub(crate) fn new() -> DatagramReader {
        DatagramReader {
            scratch: Vec::with_capacity(SLOTS * SLOT),
            found: Vec::with_capacity(BATCH),
            #[cfg(not(target_os = "linux"))]
            joined: Vec::new(),
            #[cfg(not(target_os = "linux"))]
            pending: None,
            #[cfg(target_os = "linux")]
            sys: linux::Buffers::new(),
            drops: DropCount::default(),
        }
    }

    /// Reads the datagrams waiting, at most [`BATCH`], appending them to
    /// `out` in the order they came. `WouldBlock` when none was waiting;
    /// any other error only when no datagram was read (it is given again
    /// by the next read otherwise).
    pub(crate) fn read(
        &mut self,
        socket: &UdpSocket,
        out: &mut Vec<Datagram>,
    ) -> io::Result<usize> {
        self.found.clear();
        let all = self.fill(socket)?;
        let mut n = 0;
        for &(from, start, len) in &self.found {
            out.push(Datagram {
                from,
                data: all.slice(start..start + len),
            });
            n += 1;
        }
        Ok(n)
    }

    /// The kernel's count of datagrams it dropped at this socket because
    /// its receive buffer was full, as the last datagram read carried it;
    /// `None` until one carried a count (and always where the platform
    /// keeps none).
    pub(crate) fn dropped(&self) -> Option<u64> {
        self.drops.total()
    }

    /// One `recvmmsg`; gives the batch's bytes in one buffer, with
    /// `found` pointing into it.
    #[cfg(target_os = "linux")]
    fn fill(&mut self, socket: &UdpSocket) -> io::Result<Bytes> {
        let spare = self.scratch.spare_capacity_mut();
        let sys = &mut self.sys;
        socket.try_io(|| linux::recv_batch(socket, spare, sys))?;
        let total = sys.got.iter().map(|m| m.len).sum();
        let mut all = bytes::BytesMut::with_capacity(total);
        for m in &sys.got {
            let i = m.slot;
            let slot = &spare[i * SLOT..i * SLOT + m.len];
            // SAFETY: the kernel wrote the first `m.len` bytes of slot `i`
            // (`recvmmsg` reports each message's length), and `m.len` is at
            // most the slot's size.
            let bytes = unsafe { &*(std::ptr::from_ref(slot) as *const [u8]) };
            self.found.push((m.from, all.len(), m.len));
            all.extend_from_slice(bytes);
            if let Some(count) = m.drops {
                self.drops.saw(count);
            }
        }
        Ok(all.freeze())
    }

    /// `recv_from` until the socket has nothing more or the batch is full.
    #[cfg(not(target_os = "linux"))]
    fn fill(&mut self, socket: &UdpSocket) -> io::Result<Bytes> {
        if let Some(e) = self.pending.take() {
            return Err(e);
        }
        self.joined.clear();
        while self.found.len() < BATCH {
            let spare = self.scratch.spare_capacity_mut();
            let read = socket.try_io(|| socket2::SockRef::from(socket).recv_from(spare));
            match read {
                Ok((n, from)) => {
                    let Some(from) = from.as_socket() else {
                        continue;
                    };
                    // SAFETY: `recv_from` initialised the first `n` bytes of
                    // the spare capacity, and `n` is at most its length.
                    let bytes = unsafe { &*(std::ptr::from_ref(&spare[..n]) as *const [u8]) };
                    self.found.push((from, self.joined.len(), n));
                    self.joined.extend_from_slice(bytes);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if self.found.is_empty() => return Err(e),
                Err(e) => {
                    if e.kind() != io::ErrorKind::WouldBlock {
                        self.pending = Some(e);
                    }
                    break;
                }
            }
        }
        Ok(Bytes::copy_from_slice(&self.joined))
    }
}

/// Asks for a receive buffer of `size` bytes and gives what the system
/// granted, as it reports it (Linux reports twice the size it keeps for
/// data, since it counts its bookkeeping in the buffer too, and caps the
/// request at `net.core.rmem_max`).
pub(crate) fn grow_recv_buffer(socket: &socket2::Socket, size: usize) -> Option<usize> {
    let _ = socket.set_recv_buffer_size(size);
    socket.recv_buffer_size().ok()
}

/// Asks the system to count the datagrams it drops at `socket` and tell
/// the count with each datagram (Linux: `SO_RXQ_OVFL`); false where it
/// cannot.
pub(crate) fn count_drops(socket: &socket2::Socket) -> bool {
    #[cfg(target_os = "linux")]
    {
        linux::enable_drop_count(socket).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = socket;
        false
    }
}

/// The kernel's drop count is a 32-bit counter that wraps; this keeps
/// the total in 64 bits.
#[derive(Debug, Default, Clone, Copy)]
struct DropCount {
    last: Option<u32>,
    total: u64,
}

impl DropCount {
    /// A datagram carried the count `raw` (Linux counts drops per
    /// datagram; elsewhere nothing calls this but the tests).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    fn saw(&mut self, raw: u32) {
        let grew = match self.last {
            Some(last) => raw.wrapping_sub(last),
            None => raw,
        };
        // The count only grows; a datagram queued before one that carried
        // a higher count never carries more, so a step back is old news.
        if grew < u32::MAX / 2 {
            self.total += u64::from(grew);
            self.last = Some(raw);
        }
    }

    fn total(&self) -> Option<u64> {
        self.last.map(|_| self.total)
    }
}

/// The drop count in the ancillary data of one received datagram, if it
/// carries one: a `SOL_SOCKET`/`SO_RXQ_OVFL` message holding a `u32`. Any
/// other message is skipped, and data that does not hold whole messages
/// ends the search.
#[cfg(target_os = "linux")]
pub(crate) fn drop_count_in(control: &[u8]) -> Option<u32> {
    let header = std::mem::size_of::<libc::cmsghdr>();
    // SAFETY: `CMSG_LEN` and `CMSG_SPACE` only compute sizes.
    let data_at = unsafe { libc::CMSG_LEN(0) } as usize;
    let mut at = 0;
    while control.len().saturating_sub(at) >= header {
        // SAFETY: `header` bytes from `at` are in `control`, and a
        // `cmsghdr` is plain integers, valid for any bytes; it may be
        // unaligned, so it is read unaligned.
        let cmsg: libc::cmsghdr =
            unsafe { std::ptr::read_unaligned(control[at..].as_ptr().cast()) };
        // `size_t` with glibc, `socklen_t` with musl.
        #[allow(clippy::useless_conversion)]
        let len = usize::try_from(cmsg.cmsg_len).ok()?;
        if len < data_at || len > control.len() - at {
            return None;
        }
        if cmsg.cmsg_level == libc::SOL_SOCKET && cmsg.cmsg_type == libc::SO_RXQ_OVFL {
            let data = control.get(at + data_at..at + len)?;
            return data.get(..4)?.try_into().ok().map(u32::from_ne_bytes);
        }
        // SAFETY: as above.
        let space = unsafe { libc::CMSG_SPACE(u32::try_from(len - data_at).ok()?) } as usize;
        at += space;
    }
    None
}

#[cfg(target_os = "linux")]
mod linux {
    use std::io;
    use std::mem::MaybeUninit;
    use std::net::SocketAddr;
    use std::os::fd::AsRawFd;

    use socket2::{SockAddr, SockAddrStorage};

    use super::{BATCH, SLOT, drop_count_in};

    /// Ancillary data room per datagram: the drop count's message, with
    /// space to spare for any other the system adds.
    const CONTROL: usize = 64;

    /// Ancillary data for one datagram, aligned as `cmsghdr` needs.
    #[derive(Clone, Copy)]
    #[repr(C, align(8))]
    struct Control([u8; CONTROL]);

    /// What `recvmmsg` fills besides the datagrams' bytes.
    pub(super) struct Buffers {
        addrs: Vec<libc::sockaddr_storage>,
        control: Vec<Control>,
        /// The datagrams the last call read.
        pub(super) got: Vec<Got>,
    }

    impl Buffers {
        pub(super) fn new() -> Buffers {
            Buffers {
                // SAFETY: all zeros is a valid `sockaddr_storage`.
                addrs: vec![unsafe { std::mem::zeroed() }; BATCH],
                control: vec![Control([0; CONTROL]); BATCH],
                got: Vec::with_capacity(BATCH),
            }
        }
    }

    /// One datagram `recv_batch` read.
    pub(super) struct Got {
        /// The slot it is in.
        pub(super) slot: usize,
        pub(super) from: SocketAddr,
        pub(super) len: usize,
        pub(super) drops: Option<u32>,
    }

    /// Turns on `SO_RXQ_OVFL`.
    pub(super) fn enable_drop_count(socket: &socket2::Socket) -> io::Result<()> {
        let on: libc::c_int = 1;
        // SAFETY: a valid descriptor, and a pointer to a `c_int` with its size.
        let r = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RXQ_OVFL,
                std::ptr::from_ref(&on).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// One `recvmmsg` call into `scratch` (slot `i` at `i * SLOT`): the
    /// datagrams waiting, at most `BATCH`, without blocking; they are
    /// listed in `bufs.got`.
    pub(super) fn recv_batch(
        socket: &impl AsRawFd,
        scratch: &mut [MaybeUninit<u8>],
        bufs: &mut Buffers,
    ) -> io::Result<()> {
        bufs.got.clear();
        let slots = (scratch.len() / SLOT).min(BATCH);
        // SAFETY: all zeros is a valid `iovec` and `mmsghdr` (null
        // pointers, zero lengths); every one used is filled in below.
        let mut iov: [libc::iovec; BATCH] = unsafe { std::mem::zeroed() };
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { std::mem::zeroed() };
        for i in 0..slots {
            iov[i] = libc::iovec {
                iov_base: scratch[i * SLOT..].as_mut_ptr().cast(),
                iov_len: SLOT,
            };
            let hdr = &mut msgs[i].msg_hdr;
            hdr.msg_name = std::ptr::from_mut(&mut bufs.addrs[i]).cast();
            hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            hdr.msg_iov = &raw mut iov[i];
            hdr.msg_iovlen = 1;
            hdr.msg_control = bufs.control[i].0.as_mut_ptr().cast();
            hdr.msg_controllen = CONTROL as _;
        }
        // SAFETY: `msgs[..slots]` point at live buffers of the sizes given
        // (slot `i` of `scratch`, `addrs[i]`, `control[i]`), which outlive
        // the call; the socket is non-blocking, so there is no timeout.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                msgs.as_mut_ptr(),
                slots as libc::c_uint,
                0,
                std::ptr::null_mut(),
            )
        };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        for (i, msg) in msgs.iter().enumerate().take(n.min(slots)) {
            let hdr = &msg.msg_hdr;
            let mut storage = SockAddrStorage::zeroed();
            // SAFETY: `sockaddr_storage` is one of this platform's
            // `sockaddr_*` types.
            unsafe { *storage.view_as::<libc::sockaddr_storage>() = bufs.addrs[i] };
            // SAFETY: the kernel wrote an address of `msg_namelen` bytes.
            let addr = unsafe { SockAddr::new(storage, hdr.msg_namelen) };
            let Some(from) = addr.as_socket() else {
                continue;
            };
            // `size_t` with glibc, `socklen_t` with musl.
            #[allow(clippy::unnecessary_cast)]
            let control_len = (hdr.msg_controllen as usize).min(CONTROL);
            bufs.got.push(Got {
                slot: i,
                from,
                len: (msg.msg_len as usize).min(SLOT),
                drops: drop_count_in(&bufs.control[i].0[..control_len]),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::UdpSocket as StdUdp;
    use std::time::{Duration, Instant};

    use super::*;

    /// A non-blocking mio socket on loopback and a std peer that sends to it.
    fn pair() -> (UdpSocket, StdUdp, SocketAddr) {
        let std = StdUdp::bind("127.0.0.1:0").unwrap();
        std.set_nonblocking(true).unwrap();
        let socket = UdpSocket::from_std(std);
        let peer = StdUdp::bind("127.0.0.1:0").unwrap();
        let to = socket.local_addr().unwrap();
        (socket, peer, to)
    }

    /// Reads until `want` datagrams came (or a deadline passes).
    fn read_all(reader: &mut DatagramReader, socket: &UdpSocket, want: usize) -> Vec<Datagram> {
        read_counting(reader, socket, want).0
    }

    /// As `read_all`, also giving the most datagrams one read gave.
    fn read_counting(
        reader: &mut DatagramReader,
        socket: &UdpSocket,
        want: usize,
    ) -> (Vec<Datagram>, usize) {
        let end = Instant::now() + Duration::from_secs(10);
        let mut out = Vec::new();
        let mut most = 0;
        while out.len() < want && Instant::now() < end {
            match reader.read(socket, &mut out) {
                Ok(n) => {
                    assert!(n <= BATCH, "{n} datagrams in one batch");
                    most = most.max(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(e) => panic!("read: {e}"),
            }
        }
        (out, most)
    }

    #[test]
    fn a_batch_keeps_every_datagram_exact_and_in_order() {
        let (socket, peer, to) = pair();
        let from = peer.local_addr().unwrap();
        // Empty, one byte, every byte value, a large one, and small ones.
        let mut sent: Vec<Vec<u8>> = vec![
            Vec::new(),
            vec![0],
            (0..=255).collect(),
            (0..60_000u32).map(|i| (i % 251) as u8).collect(),
        ];
        sent.extend((0..40u32).map(|i| i.to_le_bytes().repeat(i as usize % 5 + 1)));
        for d in &sent {
            peer.send_to(d, to).unwrap();
        }
        let mut reader = DatagramReader::new();
        let got = read_all(&mut reader, &socket, sent.len());
        let bytes: Vec<&[u8]> = got.iter().map(|d| &d.data[..]).collect();
        let want: Vec<&[u8]> = sent.iter().map(Vec::as_slice).collect();
        assert_eq!(bytes, want);
        assert!(got.iter().all(|d| d.from == from));
    }

    #[test]
    fn many_datagrams_come_in_batches_in_order() {
        const N: u32 = 20_000;
        let (socket, peer, to) = pair();
        let _ = grow_recv_buffer(&socket2::SockRef::from(&socket), RECV_BUFFER);
        let mut reader = DatagramReader::new();
        let mut got = Vec::new();
        let mut most = 0;
        // Send in rounds the buffer surely holds, reading each round.
        for round in 0..N / 100 {
            for i in 0..100 {
                peer.send_to(&(round * 100 + i).to_be_bytes(), to).unwrap();
            }
            let (more, n) = read_counting(&mut reader, &socket, 100);
            assert_eq!(more.len(), 100, "round {round}");
            got.extend(more);
            most = most.max(n);
        }
        // Every read takes what is waiting, up to a whole batch.
        assert_eq!(most, BATCH);
        let numbers: Vec<u32> = got
            .iter()
            .map(|d| u32::from_be_bytes(d.data[..].try_into().unwrap()))
            .collect();
        assert_eq!(numbers, (0..N).collect::<Vec<_>>());
    }

    #[test]
    fn the_receive_buffer_grows() {
        let socket = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::DGRAM,
            Some(socket2::Protocol::UDP),
        )
        .unwrap();
        let before = socket.recv_buffer_size().unwrap();
        let granted = grow_recv_buffer(&socket, RECV_BUFFER).unwrap();
        assert!(granted >= before, "{granted} < {before}");
    }

    #[test]
    fn the_drop_count_wraps_into_64_bits() {
        let mut c = DropCount::default();
        assert_eq!(c.total(), None);
        c.saw(5);
        assert_eq!(c.total(), Some(5));
        c.saw(3);
        assert_eq!(c.total(), Some(5), "an older datagram's count");
        // Up to the top, over it and on.
        c.saw(1 << 31);
        c.saw(u32::MAX - 1);
        c.saw(2);
        assert_eq!(c.total(), Some(u64::from(u32::MAX) + 3));
    }

    #[cfg(target_os = "linux")]
    mod linux_only {
        use super::*;

        /// Ancillary data as the kernel lays it out: each message's header,
        /// its data, padding to the next.
        fn cmsg(level: libc::c_int, kind: libc::c_int, data: &[u8]) -> Vec<u8> {
            // SAFETY: size computations only.
            let space = unsafe { libc::CMSG_SPACE(data.len() as u32) } as usize;
            let len = unsafe { libc::CMSG_LEN(data.len() as u32) } as usize;
            let mut out = vec![0u8; space];
            // SAFETY: all zeros is a valid cmsghdr.
            let mut hdr: libc::cmsghdr = unsafe { std::mem::zeroed() };
            hdr.cmsg_len = len as _;
            hdr.cmsg_level = level;
            hdr.cmsg_type = kind;
            let size = std::mem::size_of::<libc::cmsghdr>();
            // SAFETY: the header is plain integers; `out` has room for it.
            let raw = unsafe { std::slice::from_raw_parts(std::ptr::from_ref(&hdr).cast(), size) };
            out[..size].copy_from_slice(raw);
            let at = len - data.len();
            out[at..len].copy_from_slice(data);
            out
        }

        #[test]
        fn the_drop_count_is_found_among_other_messages() {
            let count = 1234u32.to_ne_bytes();
            let ovfl = cmsg(libc::SOL_SOCKET, libc::SO_RXQ_OVFL, &count);
            assert_eq!(drop_count_in(&ovfl), Some(1234));
            let other = cmsg(libc::SOL_SOCKET, libc::SO_TIMESTAMP, &[7; 16]);
            let both = [other.clone(), ovfl.clone()].concat();
            assert_eq!(drop_count_in(&both), Some(1234));
            assert_eq!(drop_count_in(&other), None);
            assert_eq!(drop_count_in(&[]), None);
            // A header that claims more than is there, or less than itself.
            let mut long = ovfl.clone();
            long[0] = 200;
            assert_eq!(drop_count_in(&long), None);
            let mut short = ovfl.clone();
            short[..8].copy_from_slice(&1usize.to_ne_bytes());
            assert_eq!(drop_count_in(&short), None);
            assert_eq!(drop_count_in(&ovfl[..ovfl.len() - 9]), None, "cut short");
            // Any bytes at all: no panic.
            for n in 0..ovfl.len() {
                let _ = drop_count_in(&both[..n]);
            }
        }

        #[test]
        fn the_kernel_counts_what_a_full_buffer_drops() {
            let (socket, peer, to) = pair();
            let sock = socket2::SockRef::from(&socket);
            assert!(count_drops(&sock));
            // The smallest buffer the system allows: a few datagrams fill it.
            sock.set_recv_buffer_size(1).unwrap();
            for i in 0..2_000u32 {
                let _ = peer.send_to(&i.to_be_bytes(), to);
            }
            let mut reader = DatagramReader::new();
            let got = read_all(&mut reader, &socket, 1);
            assert!(!got.is_empty());
            // Drain what is queued; one more datagram then carries the count.
            let mut rest = Vec::new();
            while reader.read(&socket, &mut rest).is_ok() {}
            peer.send_to(b"last", to).unwrap();
            let last = read_all(&mut reader, &socket, 1);
            assert_eq!(last.last().map(|d| &d.data[..]), Some(&b"last"[..]));
            let kept = got.len() + rest.len() + 1;
            let dropped = reader.dropped().expect("a drop count");
            assert_eq!(
                dropped as usize + kept,
                2_001,
                "kept {kept}, dropped {dropped}"
            );
        }
    }
}
