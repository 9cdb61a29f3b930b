//! The network engine: owns every socket, runs one worker thread per open
//! session, takes [`Command`]s in and gives [`Event`]s out.
//!
//! No egui type appears here: the window and the command line are both thin
//! views over this module. A worker never blocks on the event channel; instead
//! it counts the received bytes that are still in flight to the consumer and
//! stops reading its sockets while that count is over a limit, so a peer that
//! floods is held back by TCP itself and memory stays bounded.
//!
//! Timed sends ([`Periodic`]) are kept on time by a timer thread the session
//! owns; name lookups run on threads of their own through a [`Resolver`], so
//! neither a slow clock nor a slow lookup ever holds up the poll loop or
//! [`Engine::close`].

mod addr;
mod config;
mod conn;
mod datagrams;
mod driver;
mod engine;
mod error;
mod event;
#[cfg(feature = "test-support")]
pub mod fake;
mod handle;
pub mod interfaces;
mod jobs;
pub mod load;
mod multicast;
mod periodic;
mod queue;
mod read_pool;
pub mod relay;
mod resolve;
mod tcp_client;
mod tcp_server;
mod timer;
pub mod tls;
mod udp;
mod worker;
pub mod ws;

pub use addr::{AddrError, HostPort, parse_bind_addr, parse_host_port, parse_port};
pub use config::{SendMeta, SessionConfig, Target};
pub use engine::Engine;
pub use error::{ErrorKind, NetError};
pub use event::{CloseReason, Event, GroupOp};
pub use handle::SessionHandle;
pub use load::{LoadConfig, LoadProto, LoadUrl, parse_load_url};
pub use multicast::{Iface, Membership, MulticastConfig, MulticastOptions, parse_membership};
pub use periodic::{Periodic, PeriodicEnd, PeriodicId, PeriodicProgress};
pub use queue::{EventQueue, Next};
pub use relay::{
    ChunkIn, Delay, EndAfter, EndHow, FaultEvent, FaultSet, Faults, Flow, RelayConfig, Rewrite,
    Rewriter, Rewritten, Slice,
};
pub use resolve::{Resolver, SystemResolver};
pub use tls::{TlsClientConfig, TlsServerConfig};

/// A callback the engine calls after it has queued events, so a window can
/// repaint without polling. It must be cheap and must not block.
pub type Wake = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Identifies one TCP connection within a session (unique for the session's life).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u64);

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which of the three roles a session plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Listen and serve any number of clients.
    TcpServer,
    /// Connect to one server.
    TcpClient,
    /// Bind a datagram socket; send to and receive from anyone.
    Udp,
    /// Sit between TCP clients and a server: listen, connect each client
    /// to the target, forward both ways.
    Relay,
    /// The same for UDP: one upstream socket per client address.
    UdpRelay,
    /// Listen and serve WebSocket clients.
    WsServer,
    /// Connect to one WebSocket server.
    WsClient,
    /// Many clients against one server, with figures ([`load`]).
    Load,
}

impl Mode {
    /// A short English name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Mode::TcpServer => "TCP server",
            Mode::TcpClient => "TCP client",
            Mode::Udp => "UDP",
            Mode::Relay => "TCP relay",
            Mode::UdpRelay => "UDP relay",
            Mode::WsServer => "WebSocket server",
            Mode::WsClient => "WebSocket client",
            Mode::Load => "load test",
        }
    }

    /// True for the WebSocket modes.
    pub fn is_ws(self) -> bool {
        matches!(self, Mode::WsServer | Mode::WsClient)
    }

    /// True for modes that serve clients of their own (a server, a relay):
    /// they list them and send to one, some or all.
    pub fn serves(self) -> bool {
        matches!(
            self,
            Mode::TcpServer | Mode::WsServer | Mode::Relay | Mode::UdpRelay
        )
    }

    /// True for modes that connect to one server (its one connection).
    pub fn connects(self) -> bool {
        matches!(self, Mode::TcpClient | Mode::WsClient)
    }
}
