//! What the packaging test reads in `netassist.exe`. The `object` crate
//! parses the PE headers and walks the resource tree; it does not decode
//! what three kinds of resource hold, so that is read here: an icon group
//! (GRPICONDIR), an icon image's size (PNG or DIB header) and the version
//! block (VS_VERSIONINFO). Every read is bounds-checked; a malformed file
//! panics with a message naming what was wrong, which fails the test.

use std::ops::Range;

use object::LittleEndian as LE;
use object::pe::ImageResourceDirectoryEntry;
use object::read::pe::{
    PeFile64, ResourceDirectory, ResourceDirectoryEntryData, ResourceDirectoryTable,
};
use object::{ReadRef, U16, U32};

/// Parses a 64-bit (PE32+) image.
pub fn parse(data: &[u8]) -> PeFile64<'_> {
    PeFile64::parse(data).unwrap_or_else(|e| panic!("not a PE32+ (64-bit) image: {e}"))
}

/// One resource leaf: type, name and language ids, and its bytes.
pub struct Resource<'a> {
    /// Resource type id (`RT_*`), or `None` for a type given by name.
    pub type_id: Option<u16>,
    /// Resource id, or `None` for a resource given by name.
    pub id: Option<u16>,
    /// Language id.
    pub lang: u16,
    /// The resource's data.
    pub data: &'a [u8],
}

/// Every resource leaf (type / name / language), in directory order.
pub fn resources<'a>(image: &PeFile64<'a>) -> Vec<Resource<'a>> {
    let sections = image.section_table();
    let dir = image
        .data_directories()
        .resource_directory(image.data(), &sections)
        .unwrap_or_else(|e| panic!("resource directory: {e}"))
        .expect("the exe has no resource section");
    let root = dir.root().unwrap_or_else(|e| panic!("resource root: {e}"));
    let mut out = Vec::new();
    for type_entry in root.entries {
        for name_entry in subtable(dir, type_entry, "type").entries {
            for lang_entry in subtable(dir, name_entry, "name").entries {
                let leaf = match entry_data(dir, lang_entry) {
                    ResourceDirectoryEntryData::Data(leaf) => leaf,
                    ResourceDirectoryEntryData::Table(_) => {
                        panic!("a language entry is a directory")
                    }
                };
                let rva = leaf.offset_to_data.get(LE);
                let size = leaf.size.get(LE) as usize;
                let data = sections
                    .pe_data_at(image.data(), rva)
                    .and_then(|d| d.get(..size))
                    .unwrap_or_else(|| {
                        panic!("resource data: {size} bytes at RVA {rva:#x} lie outside the file")
                    });
                out.push(Resource {
                    type_id: type_entry.name_or_id().id(),
                    id: name_entry.name_or_id().id(),
                    lang: lang_entry
                        .name_or_id()
                        .id()
                        .expect("a language given by name"),
                    data,
                });
            }
        }
    }
    out
}

fn entry_data<'a>(
    dir: ResourceDirectory<'a>,
    entry: &ImageResourceDirectoryEntry,
) -> ResourceDirectoryEntryData<'a> {
    entry
        .data(dir)
        .unwrap_or_else(|e| panic!("resource entry: {e}"))
}

fn subtable<'a>(
    dir: ResourceDirectory<'a>,
    entry: &ImageResourceDirectoryEntry,
    level: &str,
) -> ResourceDirectoryTable<'a> {
    match entry_data(dir, entry) {
        ResourceDirectoryEntryData::Table(table) => table,
        ResourceDirectoryEntryData::Data(_) => panic!("a {level} entry is not a directory"),
    }
}

fn bytes<'a>(b: &'a [u8], at: usize, len: usize, what: &str) -> &'a [u8] {
    b.read_bytes_at(at as u64, len as u64).unwrap_or_else(|()| {
        panic!(
            "{what}: {len} bytes at {at} lie outside the data ({} bytes)",
            b.len()
        )
    })
}

fn u16_at(b: &[u8], at: usize, what: &str) -> u16 {
    b.read_at::<U16<LE>>(at as u64)
        .unwrap_or_else(|()| panic!("{what}: no 2 bytes at {at} ({} bytes)", b.len()))
        .get(LE)
}

fn u32_at(b: &[u8], at: usize, what: &str) -> u32 {
    b.read_at::<U32<LE>>(at as u64)
        .unwrap_or_else(|()| panic!("{what}: no 4 bytes at {at} ({} bytes)", b.len()))
        .get(LE)
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
    pub icon_id: u16,
}

/// Reads an RT_GROUP_ICON resource.
pub fn icon_group(data: &[u8]) -> Vec<GroupEntry> {
    assert_eq!(
        u16_at(data, 0, "group reserved"),
        0,
        "group: reserved is not 0"
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
                icon_id: u16_at(e, 12, "nId"),
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
                let units: Vec<u16> = value
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                let text = String::from_utf16_lossy(&units);
                info.strings
                    .push((key, text.trim_end_matches('\0').to_string()));
            }
        }
    }
    info
}

/// One version block at `at`: its key, its value bytes and the range of
/// its children.
fn block(data: &[u8], at: usize) -> (String, &[u8], Range<usize>) {
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

fn children_of(data: &[u8], range: Range<usize>) -> Vec<(String, &[u8], Range<usize>)> {
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
