//! [`SessionHandle`]: commands to the open session from any thread.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use crossbeam_channel::Sender;

use super::driver::{WorkerCmd, WorkerShared};
use super::periodic::PeriodicState;
use super::ws::MessageKind;
use super::{
    Faults, Membership, MulticastOptions, NetError, PeerId, Periodic, PeriodicId, PeriodicProgress,
    SendMeta, Target,
};

/// A cheap, cloneable handle for sending commands to the open session from
/// any thread (a file sender, a stdin reader). Every command is carried out
/// in order by the session's worker, which reports the outcome as events.
#[derive(Clone)]
pub struct SessionHandle {
    pub(crate) tx: Sender<WorkerCmd>,
    pub(crate) shared: Arc<WorkerShared>,
}

impl SessionHandle {
    /// Queues bytes for sending. Fails only if the session has ended.
    pub fn send(&self, target: Target, data: Bytes) -> Result<(), NetError> {
        self.send_with(target, data, SendMeta::default())
    }

    /// Queues bytes for sending with facts for the log ([`SendMeta`]), which
    /// come back in the matching [`Event::Sent`](super::Event::Sent).
    pub fn send_with(&self, target: Target, data: Bytes, meta: SendMeta) -> Result<(), NetError> {
        self.command(WorkerCmd::Send { target, data, meta })
    }

    /// Drops one TCP client (TCP client mode: the connection; relay: the
    /// pair, both legs, and a UDP relay's mapping), at once; what was not
    /// yet written is dropped.
    pub fn disconnect(&self, peer: PeerId) -> Result<(), NetError> {
        self.command(WorkerCmd::Disconnect(peer))
    }

    /// Finishes our sending on one TCP connection (half-close): our FIN goes
    /// as soon as what is queued for it has been written, and nothing more
    /// can be sent on it. The peer may go on sending until it finishes too;
    /// then the connection ends with [`CloseReason::Orderly`](super::CloseReason::Orderly).
    /// In a TCP relay, `peer` is a pair: both of its legs are finished
    /// (each once what is queued to it is written).
    pub fn finish(&self, peer: PeerId) -> Result<(), NetError> {
        self.command(WorkerCmd::Finish(peer))
    }

    /// Starts a timed send (see [`Periodic`]). Its first send is due
    /// `first_after` from now. Progress is readable with
    /// [`periodic_progress`](Self::periodic_progress); its end is reported as
    /// [`Event::PeriodicEnded`](super::Event::PeriodicEnded).
    pub fn start_periodic(&self, periodic: Periodic) -> Result<PeriodicId, NetError> {
        periodic.validate()?;
        if !self.is_alive() {
            return Err(NetError::NotOpen);
        }
        let first = Instant::now() + periodic.first_after;
        let state = Arc::new(PeriodicState::new(periodic.count));
        let id = self.shared.new_periodic(Arc::clone(&state));
        let started = self.command(WorkerCmd::StartPeriodic {
            id,
            periodic,
            state,
            first,
        });
        if let Err(e) = started {
            self.shared.forget_periodic(id);
            return Err(e);
        }
        Ok(id)
    }

    /// Stops a timed send: once this returns, it sends nothing more. False
    /// if it had already ended (its end event says why).
    pub fn stop_periodic(&self, id: PeriodicId) -> bool {
        let Some(state) = self.shared.periodic(id) else {
            return false;
        };
        state.request_stop();
        // Even if the worker has ended, the stop flag above holds.
        let _ = self.command(WorkerCmd::StopPeriodic(id));
        true
    }

    /// How far a running timed send has got; `None` once it has ended.
    pub fn periodic_progress(&self, id: PeriodicId) -> Option<PeriodicProgress> {
        self.shared.periodic(id).map(|s| s.progress())
    }

    /// UDP: joins a multicast group; reported as
    /// [`Event::GroupJoined`](super::Event::GroupJoined) or
    /// [`Event::GroupFailed`](super::Event::GroupFailed).
    pub fn join(&self, membership: Membership) -> Result<(), NetError> {
        self.command(WorkerCmd::Join(membership))
    }

    /// UDP: leaves a multicast group joined before.
    pub fn leave(&self, membership: Membership) -> Result<(), NetError> {
        self.command(WorkerCmd::Leave(membership))
    }

    /// UDP: changes the multicast TTL, loopback or sending interface (fields
    /// left `None` stay as they are); a failure is reported as an error event.
    pub fn set_multicast(&self, options: MulticastOptions) -> Result<(), NetError> {
        self.command(WorkerCmd::SetMulticast(options))
    }

    /// UDP: forgets every host name looked up so far, so the next send to a
    /// host looks it up again; the default remote is looked up again at once
    /// (sends to it keep the old address until the new one is known).
    pub fn refresh_names(&self) -> Result<(), NetError> {
        self.command(WorkerCmd::RefreshNames)
    }

    /// Relay: switches the faults (both directions, every pair) for data
    /// read from now on; what was read before goes out as it was planned.
    /// Other modes answer with an error event.
    pub fn set_faults(&self, faults: Faults) -> Result<(), NetError> {
        self.command(WorkerCmd::SetFaults(faults))
    }

    /// Relay: switches the rewrite rules (every pair, both directions) for
    /// data read from now on; `None` forwards everything as read. Other
    /// modes answer with an error event.
    pub fn set_rewrite(&self, rewrite: Option<super::Rewriter>) -> Result<(), NetError> {
        self.command(WorkerCmd::SetRewrite(rewrite))
    }

    /// WebSocket: sends a ping with `payload` (at most 125 bytes) to
    /// `target`; its pong is reported with the round-trip time.
    pub fn ping(&self, target: Target, payload: Bytes) -> Result<(), NetError> {
        self.command(WorkerCmd::Ping { target, payload })
    }

    /// WebSocket: sends a close frame with `code` and `reason` to
    /// `target`; the connection ends once the peer answers with its own.
    pub fn ws_close(&self, target: Target, code: u16, reason: String) -> Result<(), NetError> {
        self.command(WorkerCmd::WsClose {
            target,
            code,
            reason,
        })
    }

    /// WebSocket: the kind of message sends go as when they do not say
    /// ([`SendMeta::message`]); text at open.
    pub fn set_message_kind(&self, kind: MessageKind) -> Result<(), NetError> {
        self.command(WorkerCmd::SetMessageKind(kind))
    }

    /// Bytes accepted for sending but not yet written to the OS; a file
    /// sender waits while this is high.
    pub fn pending_tx_bytes(&self) -> usize {
        self.shared.pending_tx.load(Ordering::Relaxed)
    }

    /// True until the worker has finished.
    pub fn is_alive(&self) -> bool {
        self.shared.alive.load(Ordering::Acquire)
    }

    fn command(&self, cmd: WorkerCmd) -> Result<(), NetError> {
        if !self.is_alive() {
            return Err(NetError::NotOpen);
        }
        self.tx.send(cmd).map_err(|_| NetError::NotOpen)?;
        self.shared.wake_worker();
        Ok(())
    }
}
