//! A small reader for what the packaging test checks in `netassist.exe`:
//! the PE headers (machine, subsystem) and the resource section (icons,
//! icon groups, version information). Only what those checks need; every
//! read is bounds-checked and a malformed file panics with a message
//! naming what was wrong, which fails the test.

/// Resource type ids (winuser.h).
pub const RT_ICON: u32 = 3;
/// An icon group: the directory Explorer picks an icon size from.
pub const RT_GROUP_ICON: u32 = 14;
/// The version information block.
pub const RT_VERSION: u32 = 16;

/// IMAGE_FILE_MACHINE_AMD64.
pub const MACHINE_AMD64: u16 = 0x8664;
/// IMAGE_SUBSYSTEM_WINDOWS_GUI: no console window on double-click.
pub const SUBSYSTEM_GUI: u16 = 2;

fn bytes<'a>(b: &'a [u8], at: usize, len: usize, what: &str) -> &'a [u8] {
    at.checked_add(len)
        .and_then(|end| b.get(at..end))
        .unwrap_or_else(|| {
            panic!(
                "{what}: {len} bytes at {at} lie outside the data ({} bytes)",
                b.len()
            )
        })
}

fn u16_at(b: &[u8], at: usize, what: &str) -> u16 {
    u16::from_le_bytes(bytes(b, at, 2, what).try_into().unwrap())
}

fn u32_at(b: &[u8], at: usize, what: &str) -> u32 {
    u32::from_le_bytes(bytes(b, at, 4, what).try_into().unwrap())
}

/// One section's place in memory and in the file.
struct Section {
    rva: u32,
    size: u32,
    file_offset: u32,
}

/// A parsed PE image: the headers it was read from and its resources.
pub struct Pe<'a> {
    data: &'a [u8],
    /// COFF machine type.
    pub machine: u16,
    /// COFF characteristics (executable, DLL, ...).
    pub characteristics: u16,
    /// Optional-header magic: 0x20b for PE32+ (64-bit).
    pub magic: u16,
    /// The subsystem the loader starts the program in.
    pub subsystem: u16,
    sections: Vec<Section>,
    resource_rva: u32,
}

/// One resource leaf: type, name and language ids, and its bytes.
pub struct Resource<'a> {
    /// Resource type id (`RT_*`), or `None` for a type given by name.
    pub type_id: Option<u32>,
    /// Resource id, or `None` for a resource given by name.
    pub id: Option<u32>,
    /// Language id.
    pub lang: u32,
    /// The resource's data.
    pub data: &'a [u8],
}

impl<'a> Pe<'a> {
    /// Reads the DOS, COFF and optional headers and the section table.
    pub fn parse(data: &'a [u8]) -> Pe<'a> {
        assert_eq!(bytes(data, 0, 2, "DOS header"), b"MZ", "no MZ signature");
        let pe = u32_at(data, 0x3c, "e_lfanew") as usize;
        assert_eq!(
            bytes(data, pe, 4, "PE signature"),
            b"PE\0\0",
            "no PE signature at {pe}"
        );
        let coff = pe + 4;
        let machine = u16_at(data, coff, "Machine");
        let section_count = usize::from(u16_at(data, coff + 2, "NumberOfSections"));
        let optional_size = usize::from(u16_at(data, coff + 16, "SizeOfOptionalHeader"));
        let characteristics = u16_at(data, coff + 18, "Characteristics");
        let opt = coff + 20;
        let magic = u16_at(data, opt, "optional header magic");
        let subsystem = u16_at(data, opt + 68, "Subsystem");
        let (count_at, dirs_at) = match magic {
            0x20b => (opt + 108, opt + 112),
            0x10b => (opt + 92, opt + 96),
            other => panic!("unknown optional header magic {other:#x}"),
        };
        let dir_count = u32_at(data, count_at, "NumberOfRvaAndSizes");
        assert!(
            dir_count > 2,
            "no resource directory entry ({dir_count} data directories)"
        );
        let resource_rva = u32_at(data, dirs_at + 2 * 8, "resource directory RVA");
        let sections = (0..section_count)
            .map(|i| {
                let at = opt + optional_size + 40 * i;
                let virtual_size = u32_at(data, at + 8, "VirtualSize");
                let raw_size = u32_at(data, at + 16, "SizeOfRawData");
                Section {
                    rva: u32_at(data, at + 12, "VirtualAddress"),
                    size: virtual_size.max(raw_size),
                    file_offset: u32_at(data, at + 20, "PointerToRawData"),
                }
            })
            .collect();
        Pe {
            data,
            machine,
            characteristics,
            magic,
            subsystem,
            sections,
            resource_rva,
        }
    }

    /// The file offset of a relative virtual address.
    fn offset(&self, rva: u32) -> usize {
        let s = self
            .sections
            .iter()
            .find(|s| rva >= s.rva && rva - s.rva < s.size)
            .unwrap_or_else(|| panic!("RVA {rva:#x} is in no section"));
        (rva - s.rva + s.file_offset) as usize
    }

    /// Every resource leaf (type / name / language), in directory order.
    pub fn resources(&self) -> Vec<Resource<'a>> {
        assert_ne!(self.resource_rva, 0, "the exe has no resource section");
        let base = self.offset(self.resource_rva);
        let mut out = Vec::new();
        for (type_id, types) in self.directory(base, 0) {
            let types = subdirectory(types, "type");
            for (id, names) in self.directory(base, types) {
                let names = subdirectory(names, "name");
                for (lang, leaf) in self.directory(base, names) {
                    assert_eq!(leaf & 0x8000_0000, 0, "a language entry is a directory");
                    let at = base + leaf as usize;
                    let rva = u32_at(self.data, at, "resource data RVA");
                    let size = u32_at(self.data, at + 4, "resource data size") as usize;
                    out.push(Resource {
                        type_id: type_id.ok(),
                        id: id.ok(),
                        lang: lang.unwrap_or_else(|_| panic!("a language given by name")),
                        data: bytes(self.data, self.offset(rva), size, "resource data"),
                    });
                }
            }
        }
        out
    }

    /// The entries of one resource directory: (id, or `Err` for a named
    /// entry; offset of the subdirectory or leaf, with its high bit).
    fn directory(&self, base: usize, at: u32) -> Vec<(Result<u32, ()>, u32)> {
        let at = base + at as usize;
        let named = usize::from(u16_at(self.data, at + 12, "NumberOfNamedEntries"));
        let ids = usize::from(u16_at(self.data, at + 14, "NumberOfIdEntries"));
        (0..named + ids)
            .map(|i| {
                let entry = at + 16 + 8 * i;
                let name = u32_at(self.data, entry, "entry name");
                let target = u32_at(self.data, entry + 4, "entry offset");
                let id = if name & 0x8000_0000 == 0 {
                    Ok(name)
                } else {
                    Err(())
                };
                (id, target)
            })
            .collect()
    }
}

fn subdirectory(entry: u32, level: &str) -> u32 {
    assert_ne!(entry & 0x8000_0000, 0, "a {level} entry is not a directory");
    entry & 0x7fff_ffff
}

/// One entry of an icon group (GRPICONDIRENTRY).
pub struct GroupEntry {
    /// Width in pixels (the byte 0 means 256).
    pub width: u32,
    /// Height in pixels (the byte 0 means 256).
    pub height: u32,
    /// Size of the RT_ICON resource it points at.
    pub bytes: u32,
    /// Id of that RT_ICON resource.
    pub icon_id: u32,
}

/// Reads an RT_GROUP_ICON resource.
pub fn icon_group(data: &[u8]) -> Vec<GroupEntry> {
    assert_eq!(
        u16_at(data, 0, "group reserved"),
        0,
        "group: reserved field is not 0"
    );
    assert_eq!(
        u16_at(data, 2, "group type"),
        1,
        "group: type is not 1 (icon)"
    );
    let count = usize::from(u16_at(data, 4, "group count"));
    let px = |b: u8| if b == 0 { 256 } else { u32::from(b) };
    (0..count)
        .map(|i| {
            let e = bytes(data, 6 + 14 * i, 14, "group entry");
            GroupEntry {
                width: px(e[0]),
                height: px(e[1]),
                bytes: u32_at(e, 8, "dwBytesInRes"),
                icon_id: u32::from(u16_at(e, 12, "nId")),
            }
        })
        .collect()
}

/// The pixel size of one RT_ICON image: a PNG, or a DIB whose height
/// counts the colour and mask bitmaps together.
pub fn icon_image_size(data: &[u8]) -> (u32, u32) {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        let be = |at| u32::from_be_bytes(bytes(data, at, 4, "PNG IHDR").try_into().unwrap());
        (be(16), be(20))
    } else {
        assert_eq!(
            u32_at(data, 0, "BITMAPINFOHEADER size"),
            40,
            "icon image is neither PNG nor DIB"
        );
        (
            u32_at(data, 4, "DIB width"),
            u32_at(data, 8, "DIB height") / 2,
        )
    }
}

/// What a VS_VERSIONINFO block holds.
#[derive(Debug, Default)]
pub struct VersionInfo {
    /// VS_FIXEDFILEINFO's file version as four numbers.
    pub file_version: [u16; 4],
    /// VS_FIXEDFILEINFO's product version as four numbers.
    pub product_version: [u16; 4],
    /// The StringFileInfo strings (FileVersion, ProductName, ...).
    pub strings: Vec<(String, String)>,
}

impl VersionInfo {
    /// A string value by key.
    pub fn string(&self, key: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads an RT_VERSION resource.
pub fn version_info(data: &[u8]) -> VersionInfo {
    let mut info = VersionInfo::default();
    let (key, value, children) = block(data, 0);
    assert_eq!(key, "VS_VERSION_INFO", "version block key");
    assert_eq!(
        u32_at(value, 0, "fixed info"),
        0xfeef_04bd,
        "VS_FIXEDFILEINFO signature"
    );
    let quad = |at| {
        let (ms, ls) = (
            u32_at(value, at, "version"),
            u32_at(value, at + 4, "version"),
        );
        [(ms >> 16) as u16, ms as u16, (ls >> 16) as u16, ls as u16]
    };
    info.file_version = quad(8);
    info.product_version = quad(16);
    for (key, _, tables) in children_of(data, children) {
        if key != "StringFileInfo" {
            continue;
        }
        for (_, _, strings) in children_of(data, tables) {
            for (key, value, _) in children_of(data, strings) {
                let text = utf16(value);
                info.strings
                    .push((key, text.trim_end_matches('\0').to_string()));
            }
        }
    }
    info
}

/// One version block at `at`: its key, its value bytes and the range of
/// its children.
fn block(data: &[u8], at: usize) -> (String, &[u8], std::ops::Range<usize>) {
    let len = usize::from(u16_at(data, at, "block length"));
    let value_len = usize::from(u16_at(data, at + 2, "value length"));
    let text = u16_at(data, at + 4, "block type") == 1;
    let mut p = at + 6;
    let mut key = Vec::new();
    loop {
        let unit = u16_at(data, p, "block key");
        p += 2;
        if unit == 0 {
            break;
        }
        key.push(unit);
    }
    p = align4(p);
    // A text value's length counts UTF-16 units, a binary one bytes.
    let value_bytes = if text { value_len * 2 } else { value_len };
    let value = bytes(
        data,
        p,
        value_bytes.min((at + len).saturating_sub(p)),
        "block value",
    );
    let children = align4(p + value_bytes).min(at + len)..at + len;
    (String::from_utf16_lossy(&key), value, children)
}

fn children_of(
    data: &[u8],
    range: std::ops::Range<usize>,
) -> Vec<(String, &[u8], std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut at = range.start;
    while at + 6 <= range.end {
        let len = usize::from(u16_at(data, at, "child length"));
        assert!(len >= 6, "a version block of length {len} at {at}");
        out.push(block(data, at));
        at = align4(at + len);
    }
    out
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}
