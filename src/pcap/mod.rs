//! Saving a session as a pcapng file that Wireshark and tshark open.
//!
//! NetAssist sees sockets, not packets: it knows each connect, read, send
//! and close, with its time and addresses. This module rebuilds the packets
//! that carried them: Ethernet, IPv4 or IPv6, and TCP or UDP headers with
//! the real addresses and ports and valid checksums; consistent TCP sequence
//! and acknowledgement numbers; connects as SYN, SYN-ACK, ACK; closes as FIN
//! or RST as they happened. The headers are written by the `etherparse`
//! crate, the file format by the `pcap-file` crate.
//!
//! What cannot be known is not invented: a read may have been several
//! segments on the wire, and is written as one (or several of at most
//! [`MAX_SEGMENT`] bytes); every segment is acknowledged at once; the
//! hardware addresses are made up (02:00:00:00:00:01 is us,
//! 02:00:00:00:00:02 every peer).
//!
//! Two entry points share one synthesiser: [`RecordStore::save_pcapng`]
//! (crate::records::RecordStore) for what the log holds, and
//! [`EventCapture`] for engine events as they come, with memory bounded by
//! the connections alive at once.

mod capture;
mod frame;
mod session;

use thiserror::Error;

pub use capture::{Capture, CaptureSummary, MAX_SEGMENT, Side};
pub use session::{EventCapture, StoreCapture};

/// Writing a capture failed.
#[derive(Debug, Error)]
pub enum PcapError {
    /// The file could not be written.
    #[error("cannot write the capture file: {0}")]
    Io(#[from] std::io::Error),
    /// The pcapng writer refused a block, or a packet did not fit its
    /// length fields (a bug, not a user error).
    #[error("cannot write the capture file: {0}")]
    Format(String),
}

impl From<frame::FrameError> for PcapError {
    fn from(err: frame::FrameError) -> Self {
        PcapError::Format(err.to_string())
    }
}

impl From<pcap_file::PcapError> for PcapError {
    fn from(err: pcap_file::PcapError) -> Self {
        match err {
            pcap_file::PcapError::IoError(e) => PcapError::Io(e),
            other => PcapError::Format(other.to_string()),
        }
    }
}
