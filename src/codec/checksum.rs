//! Checksums people append to frames when testing serial-over-TCP devices
//! and PLCs: 8-bit sum, 8-bit XOR, LRC, CRC-16/MODBUS, CRC-16/CCITT-FALSE and
//! CRC-32 (IEEE), each with its byte order on the wire, over a chosen range
//! of the frame.
//!
//! The CRCs come from the `crc` crate's catalogue, so their parameters are
//! the published ones.

use std::fmt;
use std::str::FromStr;

use crc::{CRC_16_IBM_3740, CRC_16_MODBUS, CRC_32_ISO_HDLC, Crc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);
const CCITT_FALSE: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);
const IEEE: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// Sum of all bytes modulo 256 (the "checksum" byte of many simple
/// protocols).
pub fn sum8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |acc, &b| acc.wrapping_add(b))
}

/// XOR of all bytes (BCC, block check character).
pub fn xor8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |acc, &b| acc ^ b)
}

/// Longitudinal redundancy check: the two's complement of [`sum8`], so that
/// the sum of the data and the LRC is zero (Modbus ASCII style).
pub fn lrc(data: &[u8]) -> u8 {
    sum8(data).wrapping_neg()
}

/// CRC-16/MODBUS (reflected 0x8005, initial 0xFFFF). Modbus RTU sends the
/// low byte first (`crc.to_le_bytes()`).
pub fn crc16_modbus(data: &[u8]) -> u16 {
    MODBUS.checksum(data)
}

/// CRC-16/CCITT-FALSE, catalogued as CRC-16/IBM-3740 (0x1021, initial
/// 0xFFFF, not reflected); sent high byte first.
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    CCITT_FALSE.checksum(data)
}

/// CRC-32 as used by Ethernet, zlib and PNG (IEEE 802.3, catalogued as
/// CRC-32/ISO-HDLC); sent low byte first.
pub fn crc32(data: &[u8]) -> u32 {
    IEEE.checksum(data)
}

/// Which checksum to append.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChecksumKind {
    /// 8-bit sum, one byte.
    #[serde(rename = "sum8")]
    Sum8,
    /// 8-bit XOR, one byte.
    #[serde(rename = "xor8")]
    Xor8,
    /// Two's complement of the 8-bit sum, one byte.
    #[serde(rename = "lrc")]
    Lrc,
    /// CRC-16/MODBUS, two bytes, low byte first.
    #[serde(rename = "crc16-modbus")]
    Crc16Modbus,
    /// CRC-16/CCITT-FALSE, two bytes, high byte first.
    #[serde(rename = "crc16-ccitt")]
    Crc16Ccitt,
    /// CRC-32 (IEEE), four bytes, low byte first.
    #[serde(rename = "crc32")]
    Crc32,
}

impl ChecksumKind {
    /// Every kind, for pickers.
    pub const ALL: [ChecksumKind; 6] = [
        ChecksumKind::Sum8,
        ChecksumKind::Xor8,
        ChecksumKind::Lrc,
        ChecksumKind::Crc16Modbus,
        ChecksumKind::Crc16Ccitt,
        ChecksumKind::Crc32,
    ];

    /// The name used on the command line and in files (`crc16-modbus`).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumKind::Sum8 => "sum8",
            ChecksumKind::Xor8 => "xor8",
            ChecksumKind::Lrc => "lrc",
            ChecksumKind::Crc16Modbus => "crc16-modbus",
            ChecksumKind::Crc16Ccitt => "crc16-ccitt",
            ChecksumKind::Crc32 => "crc32",
        }
    }

    /// The catalogue name shown in the window (`CRC-16/MODBUS`).
    pub fn label(self) -> &'static str {
        match self {
            ChecksumKind::Sum8 => "SUM8",
            ChecksumKind::Xor8 => "XOR8",
            ChecksumKind::Lrc => "LRC",
            ChecksumKind::Crc16Modbus => "CRC-16/MODBUS",
            ChecksumKind::Crc16Ccitt => "CRC-16/CCITT-FALSE",
            ChecksumKind::Crc32 => "CRC-32",
        }
    }

    /// How many bytes it appends.
    pub fn width(self) -> usize {
        match self {
            ChecksumKind::Sum8 | ChecksumKind::Xor8 | ChecksumKind::Lrc => 1,
            ChecksumKind::Crc16Modbus | ChecksumKind::Crc16Ccitt => 2,
            ChecksumKind::Crc32 => 4,
        }
    }

    /// Appends the checksum of `data` to `out` in its wire byte order.
    pub fn append(self, data: &[u8], out: &mut Vec<u8>) {
        match self {
            ChecksumKind::Sum8 => out.push(sum8(data)),
            ChecksumKind::Xor8 => out.push(xor8(data)),
            ChecksumKind::Lrc => out.push(lrc(data)),
            ChecksumKind::Crc16Modbus => out.extend_from_slice(&crc16_modbus(data).to_le_bytes()),
            ChecksumKind::Crc16Ccitt => {
                out.extend_from_slice(&crc16_ccitt_false(data).to_be_bytes());
            }
            ChecksumKind::Crc32 => out.extend_from_slice(&crc32(data).to_le_bytes()),
        }
    }

    /// The checksum of `data` as the bytes that go on the wire.
    pub fn wire_bytes(self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.width());
        self.append(data, &mut out);
        out
    }
}

impl fmt::Display for ChecksumKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A checksum name that is not one of [`ChecksumKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "unknown checksum \"{value}\" (expected one of: sum8, xor8, lrc, crc16-modbus, crc16-ccitt, crc32)"
)]
pub struct ParseChecksumError {
    /// The name as given.
    pub value: String,
}

impl FromStr for ChecksumKind {
    type Err = ParseChecksumError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        ChecksumKind::ALL
            .into_iter()
            .find(|k| k.name() == wanted)
            .ok_or_else(|| ParseChecksumError {
                value: s.to_string(),
            })
    }
}

/// Where the covered bytes end.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum RangeEnd {
    /// At the end of the frame.
    #[default]
    End,
    /// This many bytes before the end (written `-M`).
    BeforeEnd(usize),
    /// At this byte offset, exclusive (written `M`), as in a Python slice.
    At(usize),
}

/// The bytes a checksum covers, written like a Python slice `FROM:TO`:
/// `0:` is everything, `1:` skips the first byte, `1:-2` also leaves out the
/// last two, `2:6` is bytes 2 to 5. Unlike a slice, a range that does not fit
/// the frame is an error, never silently shortened.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChecksumRange {
    /// First covered byte (0-based).
    pub from: usize,
    /// Where the covered bytes end.
    pub to: RangeEnd,
}

impl ChecksumRange {
    /// The whole frame.
    pub const ALL: ChecksumRange = ChecksumRange {
        from: 0,
        to: RangeEnd::End,
    };

    /// The covered part of `frame`, or why it does not fit.
    pub fn slice<'a>(&self, frame: &'a [u8]) -> Result<&'a [u8], ChecksumError> {
        let len = frame.len();
        let end = match self.to {
            RangeEnd::End => Some(len),
            RangeEnd::BeforeEnd(m) => len.checked_sub(m),
            RangeEnd::At(m) => (m <= len).then_some(m),
        };
        match end {
            Some(end) if self.from <= end && self.from <= len => Ok(&frame[self.from..end]),
            _ => Err(ChecksumError::OutOfRange { range: *self, len }),
        }
    }
}

impl fmt::Display for ChecksumRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to {
            RangeEnd::End => write!(f, "{}:", self.from),
            RangeEnd::BeforeEnd(m) => write!(f, "{}:-{m}", self.from),
            RangeEnd::At(m) => write!(f, "{}:{m}", self.from),
        }
    }
}

/// A checksum range that is not `FROM:TO`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "invalid checksum range \"{value}\": write FROM:TO, e.g. 0: (all), 1: (skip the first byte) or 1:-2 (also leave out the last two)"
)]
pub struct ParseRangeError {
    /// The text as given.
    pub value: String,
}

impl FromStr for ChecksumRange {
    type Err = ParseRangeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseRangeError {
            value: s.to_string(),
        };
        let (from, to) = s.trim().split_once(':').ok_or_else(bad)?;
        let from = match from.trim() {
            "" => 0,
            n => n.parse::<usize>().map_err(|_| bad())?,
        };
        let to = match to.trim() {
            "" => RangeEnd::End,
            n => match n.strip_prefix('-') {
                Some(m) => RangeEnd::BeforeEnd(m.parse::<usize>().map_err(|_| bad())?),
                None => RangeEnd::At(n.parse::<usize>().map_err(|_| bad())?),
            },
        };
        Ok(ChecksumRange { from, to })
    }
}

impl Serialize for ChecksumRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ChecksumRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A checksum appended to every frame sent: which kind, over which bytes.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Checksum {
    /// The algorithm.
    pub kind: ChecksumKind,
    /// The bytes it covers.
    #[serde(default)]
    pub range: ChecksumRange,
}

impl Checksum {
    /// A checksum over the whole frame.
    pub fn whole(kind: ChecksumKind) -> Checksum {
        Checksum {
            kind,
            range: ChecksumRange::ALL,
        }
    }

    /// Appends the checksum of the covered part of `frame` to `frame`.
    pub fn append_to(&self, frame: &mut Vec<u8>) -> Result<(), ChecksumError> {
        let covered = self.range.slice(frame)?;
        let sum = self.kind.wire_bytes(covered);
        frame.extend_from_slice(&sum);
        Ok(())
    }
}

/// Why a checksum could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChecksumError {
    /// The range asks for bytes the frame does not have.
    #[error("checksum range {range} does not fit a {len}-byte frame")]
    OutOfRange {
        /// The range asked for.
        range: ChecksumRange,
        /// The frame's length.
        len: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECK: &[u8] = b"123456789";

    #[test]
    fn catalogue_check_values() {
        assert_eq!(sum8(CHECK), 0xDD);
        assert_eq!(xor8(CHECK), 0x31);
        assert_eq!(lrc(CHECK), 0x23);
        assert_eq!(crc16_modbus(CHECK), 0x4B37);
        assert_eq!(crc16_ccitt_false(CHECK), 0x29B1);
        assert_eq!(crc32(CHECK), 0xCBF4_3926);
    }

    #[test]
    fn wire_byte_order() {
        let wire = |k: ChecksumKind| k.wire_bytes(CHECK);
        assert_eq!(wire(ChecksumKind::Sum8), [0xDD]);
        assert_eq!(wire(ChecksumKind::Xor8), [0x31]);
        assert_eq!(wire(ChecksumKind::Lrc), [0x23]);
        assert_eq!(wire(ChecksumKind::Crc16Modbus), [0x37, 0x4B]);
        assert_eq!(wire(ChecksumKind::Crc16Ccitt), [0x29, 0xB1]);
        assert_eq!(wire(ChecksumKind::Crc32), [0x26, 0x39, 0xF4, 0xCB]);
        for kind in ChecksumKind::ALL {
            assert_eq!(wire(kind).len(), kind.width(), "{kind}");
        }
    }

    #[test]
    fn modbus_frame() {
        let mut frame = vec![0x01, 0x03, 0x00, 0x00, 0x00, 0x01];
        Checksum::whole(ChecksumKind::Crc16Modbus)
            .append_to(&mut frame)
            .unwrap();
        assert_eq!(frame, [0x01, 0x03, 0x00, 0x00, 0x00, 0x01, 0x84, 0x0A]);
    }

    #[test]
    fn lrc_makes_the_sum_zero() {
        let data = b"\x01\x03\x00\x00\x00\x0A";
        assert_eq!(sum8(data).wrapping_add(lrc(data)), 0);
        assert_eq!(lrc(&[]), 0);
    }

    #[test]
    fn ranges_cover_the_right_bytes() {
        let frame = b"\x02123456789\x03\r\n";
        let r = |s: &str| s.parse::<ChecksumRange>().unwrap();
        assert_eq!(r("1:-3").slice(frame).unwrap(), CHECK);
        assert_eq!(r("1:10").slice(frame).unwrap(), CHECK);
        assert_eq!(r("0:").slice(frame).unwrap(), frame);
        assert_eq!(r(":").slice(frame).unwrap(), frame);
        assert_eq!(r("13:").slice(frame).unwrap(), b"");
        let mut framed = frame.to_vec();
        Checksum {
            kind: ChecksumKind::Sum8,
            range: r("1:-3"),
        }
        .append_to(&mut framed)
        .unwrap();
        assert_eq!(framed.last(), Some(&0xDD));
    }

    #[test]
    fn out_of_range_is_an_error_with_a_message() {
        let r = |s: &str| s.parse::<ChecksumRange>().unwrap();
        for bad in ["6:", "0:-6", "4:-2", "0:6", "3:2"] {
            let err = r(bad).slice(b"12345").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("checksum range {} does not fit a 5-byte frame", r(bad))
            );
        }
        let mut frame = b"12".to_vec();
        let sum = Checksum {
            kind: ChecksumKind::Crc32,
            range: r("3:"),
        };
        assert!(sum.append_to(&mut frame).is_err());
        assert_eq!(frame, b"12", "nothing appended on error");
    }

    #[test]
    fn names_round_trip() {
        for kind in ChecksumKind::ALL {
            assert_eq!(kind.name().parse::<ChecksumKind>(), Ok(kind));
            assert_eq!(kind.name().to_uppercase().parse::<ChecksumKind>(), Ok(kind));
        }
        assert!(
            "crc8"
                .parse::<ChecksumKind>()
                .unwrap_err()
                .to_string()
                .contains("\"crc8\"")
        );
        for text in ["0:", "1:-2", "2:6"] {
            assert_eq!(text.parse::<ChecksumRange>().unwrap().to_string(), text);
        }
        for bad in ["", "1", "a:", "1:b", "-1:", "1:--2"] {
            let err = bad.parse::<ChecksumRange>().unwrap_err();
            assert!(err.to_string().contains("FROM:TO"), "{bad}: {err}");
        }
    }
}
