//! `netassist relay`: the fault options and the faults they make.

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::net::{Delay, EndAfter, EndHow, FaultSet, Faults, Flow, Slice};

/// Where the faults apply.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// Client to server.
    Up,
    /// Server to client.
    Down,
    /// Both ways.
    Both,
}

/// The fault options of `netassist relay`.
#[derive(Debug, Args)]
pub struct FaultArgs {
    /// Forward in pieces of N bytes, each its own write (TCP).
    #[arg(long, value_name = "N", conflicts_with = "slice_max")]
    pub slice: Option<usize>,
    /// Forward in pieces of random sizes from 1 to N bytes (TCP).
    #[arg(long, value_name = "N")]
    pub slice_max: Option<usize>,
    /// A pause of MS milliseconds between pieces.
    #[arg(long, value_name = "MS")]
    pub slice_gap_ms: Option<u64>,
    /// Hold each chunk back MS milliseconds.
    #[arg(long, value_name = "MS")]
    pub delay_ms: Option<u64>,
    /// Up to MS milliseconds more or less than --delay-ms, at random.
    #[arg(long, value_name = "MS")]
    pub jitter_ms: Option<u64>,
    /// Forward at most BYTES_PER_S bytes per second.
    #[arg(long, value_name = "BYTES_PER_S")]
    pub rate: Option<u64>,
    /// After BYTES forwarded, close both sides (FIN) (TCP).
    #[arg(long, value_name = "BYTES", group = "end_after")]
    pub close_after: Option<u64>,
    /// After BYTES forwarded, reset both sides (RST) (TCP).
    #[arg(long, value_name = "BYTES", group = "end_after")]
    pub reset_after: Option<u64>,
    /// After BYTES forwarded, forward nothing more and keep both
    /// connections open.
    #[arg(long, value_name = "BYTES", group = "end_after")]
    pub blackhole_after: Option<u64>,
    /// Drop PERCENT of the datagrams, 0 to 100 (UDP).
    #[arg(long, value_name = "PERCENT")]
    pub drop: Option<u8>,
    /// Send PERCENT of the datagrams twice, 0 to 100 (UDP).
    #[arg(long, value_name = "PERCENT")]
    pub duplicate: Option<u8>,
    /// Hold PERCENT of the datagrams back behind the next, 0 to 100 (UDP).
    #[arg(long, value_name = "PERCENT")]
    pub reorder: Option<u8>,
    /// Where the faults apply: up (client to server), down or both.
    #[arg(long, value_enum, default_value = "both")]
    pub direction: Direction,
}

impl FaultArgs {
    /// The faults asked for, checked: a message for exit 2 when a value is
    /// out of range or does not apply to the relay's protocol.
    pub fn to_faults(&self, udp: bool) -> Result<Faults, String> {
        let to = match self.direction {
            Direction::Up => Some(Flow::Up),
            Direction::Down => Some(Flow::Down),
            Direction::Both => None,
        };
        Ok(Faults::applied(self.fault_set(udp)?, to))
    }

    fn fault_set(&self, udp: bool) -> Result<FaultSet, String> {
        let tcp_only = |name: &str, given: bool| {
            if udp && given {
                Err(format!(
                    "relay --udp: --{name} applies to TCP only (a datagram is never split)"
                ))
            } else {
                Ok(())
            }
        };
        let udp_only = |name: &str, given: bool| {
            if !udp && given {
                Err(format!("relay: --{name} applies to UDP only (add --udp)"))
            } else {
                Ok(())
            }
        };
        tcp_only("slice", self.slice.is_some())?;
        tcp_only("slice-max", self.slice_max.is_some())?;
        tcp_only("close-after", self.close_after.is_some())?;
        tcp_only("reset-after", self.reset_after.is_some())?;
        udp_only("drop", self.drop.is_some())?;
        udp_only("duplicate", self.duplicate.is_some())?;
        udp_only("reorder", self.reorder.is_some())?;
        let percent = |name: &str, value: Option<u8>| match value {
            Some(p) if p > 100 => Err(format!("--{name} {p}: a percentage is 0 to 100")),
            Some(p) => Ok(p),
            None => Ok(0),
        };
        let slice = match (self.slice, self.slice_max) {
            (Some(0), _) | (_, Some(0)) => {
                return Err("--slice and --slice-max need at least 1 byte".into());
            }
            (Some(max), _) => Some((max, false)),
            (_, Some(max)) => Some((max, true)),
            (None, None) => None,
        };
        let gap = self.slice_gap_ms.map(Duration::from_millis);
        if gap.is_some() && slice.is_none() {
            return Err("--slice-gap-ms needs --slice or --slice-max".into());
        }
        let slice = slice.map(|(max, random)| Slice {
            max,
            random,
            gap: gap.unwrap_or(Duration::ZERO),
        });
        if self.jitter_ms.is_some() && self.delay_ms.is_none() {
            return Err("--jitter-ms needs --delay-ms".into());
        }
        let delay = self.delay_ms.map(|ms| Delay {
            latency: Duration::from_millis(ms),
            jitter: Duration::from_millis(self.jitter_ms.unwrap_or(0)),
        });
        if self.rate == Some(0) {
            return Err("--rate needs at least 1 byte per second".into());
        }
        let end_after = match (self.close_after, self.reset_after, self.blackhole_after) {
            (Some(bytes), _, _) => Some(EndAfter {
                bytes,
                how: EndHow::Close,
            }),
            (_, Some(bytes), _) => Some(EndAfter {
                bytes,
                how: EndHow::Reset,
            }),
            (_, _, Some(bytes)) => Some(EndAfter {
                bytes,
                how: EndHow::Blackhole,
            }),
            _ => None,
        };
        Ok(FaultSet {
            slice,
            delay,
            rate: self.rate,
            end_after,
            drop_percent: percent("drop", self.drop)?,
            duplicate_percent: percent("duplicate", self.duplicate)?,
            reorder_percent: percent("reorder", self.reorder)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct T {
        #[command(flatten)]
        f: FaultArgs,
    }

    fn faults(args: &[&str], udp: bool) -> Result<Faults, String> {
        let t = T::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        t.f.to_faults(udp)
    }

    #[test]
    fn slicing_one_way_leaves_the_other_alone() {
        let f = faults(&["--slice", "1", "--direction", "up"], false).unwrap();
        assert_eq!(
            f.up.slice,
            Some(Slice {
                max: 1,
                random: false,
                gap: Duration::ZERO
            })
        );
        assert!(f.down.is_empty());
        let f = faults(&["--slice-max", "5", "--slice-gap-ms", "2"], false).unwrap();
        assert_eq!(f.up, f.down);
        assert_eq!(
            f.down.slice.map(|s| (s.random, s.gap)),
            Some((true, Duration::from_millis(2)))
        );
    }

    #[test]
    fn bad_values_are_refused_with_a_reason() {
        for (args, udp, says) in [
            (&["--slice", "0"][..], false, "at least 1"),
            (&["--slice-gap-ms", "3"][..], false, "needs --slice"),
            (&["--jitter-ms", "3"][..], false, "needs --delay-ms"),
            (&["--drop", "5"][..], false, "UDP only"),
            (&["--drop", "101"][..], true, "0 to 100"),
            (&["--slice", "1"][..], true, "TCP only"),
            (&["--rate", "0"][..], false, "at least 1"),
        ] {
            let err = faults(args, udp).unwrap_err();
            assert!(err.contains(says), "{args:?}: {err}");
        }
        assert!(faults(&["--close-after", "1", "--reset-after", "2"], false).is_err());
    }

    #[test]
    fn ends_after_bytes() {
        let f = faults(&["--reset-after", "1024"], false).unwrap();
        assert_eq!(
            f.up.end_after,
            Some(EndAfter {
                bytes: 1024,
                how: EndHow::Reset
            })
        );
        let f = faults(&["--drop", "100", "--direction", "down"], true).unwrap();
        assert_eq!((f.up.drop_percent, f.down.drop_percent), (0, 100));
    }
}
