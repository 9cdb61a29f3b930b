//! Checksums people append to frames when testing serial-over-TCP devices
//! and PLCs: 8-bit sum, 8-bit XOR, CRC-16/MODBUS and CRC-32 (IEEE).

/// Builds a 256-entry table for a reflected CRC with polynomial `poly`.
const fn reflected_table(poly: u32) -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ poly
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// Table for CRC-16/MODBUS (reflected polynomial 0xA001).
const CRC16_MODBUS_TABLE: [u32; 256] = reflected_table(0xA001);

/// Table for CRC-32/IEEE (reflected polynomial 0xEDB88320).
const CRC32_TABLE: [u32; 256] = reflected_table(0xEDB8_8320);

/// Sum of all bytes modulo 256 (the "checksum" byte of many simple
/// protocols).
pub fn sum8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |acc, &b| acc.wrapping_add(b))
}

/// XOR of all bytes (BCC, block check character).
pub fn xor8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |acc, &b| acc ^ b)
}

/// CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF, no final
/// XOR. On the wire Modbus RTU sends the low byte first
/// (`crc.to_le_bytes()`).
pub fn crc16_modbus(data: &[u8]) -> u16 {
    let crc = data.iter().fold(0xFFFFu32, |crc, &b| {
        (crc >> 8) ^ CRC16_MODBUS_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize]
    });
    // The table entries and the initial value fit in 16 bits.
    crc as u16
}

/// CRC-32 as used by Ethernet, zip and PNG (IEEE 802.3, reflected, initial
/// value and final XOR 0xFFFFFFFF).
pub fn crc32(data: &[u8]) -> u32 {
    let crc = data.iter().fold(0xFFFF_FFFFu32, |crc, &b| {
        (crc >> 8) ^ CRC32_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize]
    });
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECK: &[u8] = b"123456789";

    #[test]
    fn standard_check_values() {
        assert_eq!(sum8(CHECK), 0xDD);
        assert_eq!(xor8(CHECK), 0x31);
        assert_eq!(crc16_modbus(CHECK), 0x4B37);
        assert_eq!(crc32(CHECK), 0xCBF4_3926);
    }

    #[test]
    fn empty_input() {
        assert_eq!(sum8(&[]), 0);
        assert_eq!(xor8(&[]), 0);
        assert_eq!(crc16_modbus(&[]), 0xFFFF);
        assert_eq!(crc32(&[]), 0);
    }

    #[test]
    fn modbus_frame() {
        // Read holding registers: slave 1, function 3, address 0, count 10.
        let frame = [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A];
        assert_eq!(crc16_modbus(&frame).to_le_bytes(), [0xC5, 0xCD]);
        assert_eq!(sum8(&[0xFF, 0x02]), 0x01);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }
}
