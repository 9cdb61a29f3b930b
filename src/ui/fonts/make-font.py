#!/usr/bin/env python3
"""Rebuild src/ui/fonts/NotoSansCJKsc-Regular-GBK.otf, NetAssist's bundled CJK fallback font.

Why: NetAssist (网络调试助手) must show Chinese even on a machine with no CJK fonts
installed.  egui only ships Latin fonts, so we embed one CJK font, subset to what a
GBK/UTF-8 network debugging tool needs, and register it as the last fallback of both
egui font families (see src/ui/fonts.rs).  tests/it/font_coverage.rs checks the result.

Sources (all SIL Open Font License 1.1, so the merged file stays OFL-1.1):

  * Debian 12 package fonts-noto-cjk  1:20220127+repack1-1
      /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc, face 2 "Noto Sans CJK SC"
      (Noto Sans CJK 2.004).  Provides every glyph except the ones below.
  * Debian 12 package fonts-noto-core 20201225-1
      NotoSansMath-Regular.ttf     -> U+2252 ≒ (GBK 0xA850; missing from Noto Sans CJK)
      NotoSansSymbols2-Regular.ttf -> U+2400..U+2426 control pictures ␀..␦ (NetAssist
                                      shows ␍ ␊ ␉ for CR/LF/TAB; Noto Sans CJK has only ␣)
    Only code points the CJK face lacks are taken from these two fonts.

Character set kept (everything else is dropped):
  * every character that GBK's two-byte table decodes to (lead 0x81..=0xFE, trail
    0x40..=0x7E | 0x80..=0xFE) with the WHATWG / encoding_rs GBK decoder, minus the
    Private Use Area (U+E000..U+F8FF: GBK's user-defined areas, which no font draws);
  * ASCII U+0020..007E, Latin-1 U+00A0..00FF, General Punctuation U+2000..206F,
    arrows U+2190..21FF, control pictures U+2400..2426, box drawing U+2500..257F,
    CJK Symbols and Punctuation U+3000..303F, half/full-width forms U+FF00..FFEF
    (code points the fonts do not have are silently skipped).

The GBK set is computed with Python's "gb18030" codec (GB18030-2005 mapping) plus the
20 two-byte codes where the WHATWG Encoding Standard, and so encoding_rs, differs
(GB18030-2022 remappings and 0xA3A0 -> U+3000); see WHATWG_2022_FIXUPS below.
The Rust test re-derives the set with encoding_rs itself, so a mismatch fails CI.

Subsetting is equivalent to this pyftsubset command on the extracted SC face:

  pyftsubset NotoSansCJKsc-Regular.otf --unicodes-file=unicodes.txt \
      --layout-features='' --output-file=subset.otf

(no layout features: CJK fallback text needs no shaping features, and keeping the
'locl'/'vert' closures would double the size; CFF hints are kept because egui hints
glyphs by default and they keep small Chinese text crisp.)  The Math/Symbols2 glyphs
are then converted to CFF charstrings and appended to the CID-keyed CFF table, and
the version/unique-ID names are amended to say the file is a modified subset.

Requirements: Debian 12 (apt-get, dpkg-deb), python3, fontTools (tested with
`pip install fonttools==4.68.0`).  Usage, from anywhere:

  python3 src/ui/fonts/make-font.py [--work /tmp/netassist-font-build]

It runs `apt-get download fonts-noto-cjk fonts-noto-core` in the work directory
(unless the .deb files are already there; run `apt-get update` first on a fresh
machine), extracts them with `dpkg-deb -x`, and writes the font and license next to
this script.  The output is byte-for-byte reproducible (SOURCE_DATE_EPOCH is pinned).
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys

# Pin head.created/modified so rebuilding gives identical bytes (fontTools honours this).
os.environ.setdefault("SOURCE_DATE_EPOCH", "1643241600")  # 2022-01-27, the Noto CJK release

from fontTools import subset  # noqa: E402
from fontTools.pens.t2CharStringPen import T2CharStringPen  # noqa: E402
from fontTools.ttLib import TTCollection, TTFont  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_FONT = os.path.join(HERE, "NotoSansCJKsc-Regular-GBK.otf")
OUT_LICENSE = os.path.join(HERE, "NotoSansCJKsc-LICENSE.txt")

PACKAGES = {
    "fonts-noto-cjk": "1:20220127+repack1-1",
    "fonts-noto-core": "20201225-1",
}
CJK_TTC = "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
CJK_FACE = "Noto Sans CJK SC"
EXTRA_FONTS = [  # (package, path inside it, code points to take if the CJK face lacks them)
    ("fonts-noto-core", "usr/share/fonts/truetype/noto/NotoSansMath-Regular.ttf", [0x2252]),
    (
        "fonts-noto-core",
        "usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
        list(range(0x2400, 0x2427)),
    ),
    # U+FFFD: NetAssist shows undecodable bytes as the replacement character.
    ("fonts-noto-core", "usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", [0xFFFD]),
]

# Two-byte GBK codes where WHATWG's index-gb18030 (used by encoding_rs) maps to a real
# character but CPython's gb18030 codec (GB18030-2005) maps to the Private Use Area.
WHATWG_2022_FIXUPS = {
    0xA3A0: 0x3000,
    0xA6D9: 0xFE10, 0xA6DA: 0xFE12, 0xA6DB: 0xFE11, 0xA6DC: 0xFE13, 0xA6DD: 0xFE14,
    0xA6DE: 0xFE15, 0xA6DF: 0xFE16, 0xA6EC: 0xFE17, 0xA6ED: 0xFE18, 0xA6F3: 0xFE19,
    0xA8BC: 0x1E3F,
    0xFE59: 0x9FB4, 0xFE61: 0x9FB5, 0xFE66: 0x9FB6, 0xFE67: 0x9FB7, 0xFE6D: 0x9FB8,
    0xFE7E: 0x9FB9, 0xFE90: 0x9FBA, 0xFEA0: 0x9FBB,
}

EXTRA_RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x2000, 0x206F),  # General Punctuation
    (0x2190, 0x21FF),  # Arrows
    (0x2400, 0x2426),  # Control Pictures ␀..␦
    (0x2500, 0x257F),  # Box Drawing
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
    (0xFFFD, 0xFFFD),  # Replacement character: undecodable bytes show as �
]


def is_pua(cp):
    return 0xE000 <= cp <= 0xF8FF


def gbk_two_byte_chars():
    """Every non-PUA character GBK's two-byte table decodes to, and the PUA count."""
    chars, pua = set(), 0
    for lead in range(0x81, 0xFF):
        for trail in list(range(0x40, 0x7F)) + list(range(0x80, 0xFF)):
            code = lead << 8 | trail
            if code in WHATWG_2022_FIXUPS:
                cps = [WHATWG_2022_FIXUPS[code]]
            else:
                try:
                    cps = [ord(c) for c in bytes([lead, trail]).decode("gb18030")]
                except UnicodeDecodeError:
                    continue  # unassigned: not a character
            if len(cps) != 1 or cps[0] == 0xFFFD:
                continue
            if is_pua(cps[0]):
                pua += 1
            else:
                chars.add(cps[0])
    return chars, pua


def run(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


def fetch_packages(work):
    roots = {}
    for pkg, version in PACKAGES.items():
        debs = glob.glob(os.path.join(work, f"{pkg}_*.deb"))
        if not debs:
            run(["apt-get", "download", pkg], cwd=work)
            debs = glob.glob(os.path.join(work, f"{pkg}_*.deb"))
        deb = debs[0]
        got = subprocess.run(
            ["dpkg-deb", "-f", deb, "Version"], check=True, capture_output=True, text=True
        ).stdout.strip()
        if got != version:
            sys.exit(f"{deb}: version {got}, expected {version}; update PACKAGES and README.md")
        root = os.path.join(work, pkg)
        if not os.path.isdir(root):
            run(["dpkg-deb", "-x", deb, root])
        roots[pkg] = root
    return roots


def extract_sc_face(roots, work):
    col = TTCollection(os.path.join(roots["fonts-noto-cjk"], CJK_TTC))
    for face in col.fonts:
        if face["name"].getDebugName(4) == CJK_FACE:
            path = os.path.join(work, "NotoSansCJKsc-Regular.otf")
            face.save(path)
            return path
    sys.exit(f"{CJK_FACE!r} not found in {CJK_TTC}")


def append_glyphs(font, donor_path, codepoints):
    """Copy the donor's outlines for `codepoints` into `font`'s CID-keyed CFF table."""
    donor = TTFont(donor_path)
    donor_cmap = donor.getBestCmap()
    donor_glyphs = donor.getGlyphSet()
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    charstrings = top.CharStrings
    order = list(font.getGlyphOrder())  # may be the same list object as top.charset
    used_cids = {int(n[3:]) for n in order if n.startswith("cid")}
    free_cids = (cid for cid in range(65534, 0, -1) if cid not in used_cids)
    cmap = font.getBestCmap()
    # Hint the new glyphs with the font dict (FD) of a similar existing glyph.
    similar = cmap.get(0x2248) or cmap.get(0x2423) or order[1]
    fd_index = top.FDSelect[order.index(similar)]
    private = top.FDArray[fd_index].Private
    ascender = font["OS/2"].sTypoAscender
    added = []
    for cp in codepoints:
        if cp in cmap or cp not in donor_cmap:
            continue
        src = donor_cmap[cp]
        width = donor["hmtx"][src][0]
        pen = T2CharStringPen(None, None)
        donor_glyphs[src].draw(pen)
        cs = pen.getCharString(private=private, globalSubrs=cff.GlobalSubrs)
        if width != private.defaultWidthX:
            cs.program.insert(0, width - private.nominalWidthX)
        name = f"cid{next(free_cids):05d}"
        charstrings.charStringsIndex.append(cs)
        charstrings.charStrings[name] = len(charstrings.charStringsIndex) - 1
        top.FDSelect.append(fd_index)
        order.append(name)
        bounds = cs.calcBounds(None) or (0, 0, 0, 0)
        font["hmtx"][name] = (width, round(bounds[0]))
        if "vmtx" in font:
            font["vmtx"][name] = (1000, round(ascender - bounds[3]))
        for table in font["cmap"].tables:
            if table.isUnicode():
                table.cmap[cp] = name
        added.append(cp)
    font.setGlyphOrder(order)
    top.charset = order
    return added


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", default="/tmp/netassist-font-build", help="scratch directory")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)

    roots = fetch_packages(args.work)
    sc_path = extract_sc_face(roots, args.work)

    gbk, pua = gbk_two_byte_chars()
    wanted = set(gbk)
    for lo, hi in EXTRA_RANGES:
        wanted.update(range(lo, hi + 1))
    unicodes_file = os.path.join(args.work, "unicodes.txt")
    with open(unicodes_file, "w") as f:
        f.writelines(f"U+{cp:04X}\n" for cp in sorted(wanted))
    print(f"GBK two-byte table: {len(gbk)} distinct characters, {pua} PUA codes excluded",
          file=sys.stderr)

    subset_path = os.path.join(args.work, "subset.otf")
    subset.main([
        sc_path,
        f"--unicodes-file={unicodes_file}",
        "--layout-features=",
        f"--output-file={subset_path}",
    ])

    font = TTFont(subset_path)
    for pkg, rel, cps in EXTRA_FONTS:
        added = append_glyphs(font, os.path.join(roots[pkg], rel), cps)
        print(f"from {os.path.basename(rel)}: {''.join(map(chr, added))}", file=sys.stderr)

    # The CFF table is shared by every face of the TTC and named after the JP one.
    ps_name = font["name"].getDebugName(6)
    font["CFF "].cff.fontNames = [ps_name]
    font["CFF "].cff.topDictIndex[0].FullName = font["name"].getDebugName(4)
    version = font["name"].getDebugName(5).split(";")[0]
    note = "NetAssist subset (GBK + symbols) with glyphs from Noto Sans Math and Noto Sans Symbols2"
    font["name"].setName(f"{version}; {note}", 5, 3, 1, 0x409)
    font["name"].setName(f"{font['name'].getDebugName(3)};NetAssist-GBK-subset", 3, 3, 1, 0x409)
    font.save(OUT_FONT)

    # Verify: every wanted GBK character has a glyph.
    cmap = TTFont(OUT_FONT).getBestCmap()
    missing = sorted(cp for cp in gbk if cp not in cmap)
    if missing:
        sys.exit("missing GBK characters: " + " ".join(f"U+{cp:04X}" for cp in missing))
    print(f"wrote {OUT_FONT}: {os.path.getsize(OUT_FONT)} bytes, {len(cmap)} code points",
          file=sys.stderr)

    write_license(roots)


def write_license(roots):
    """OFL-1.1 text from Debian's copyright file, headed by the sources' copyright lines."""
    with open(os.path.join(roots["fonts-noto-cjk"], "usr/share/doc/fonts-noto-cjk/copyright")) as f:
        text = f.read()
    ofl = text[text.index("License: SIL-1.1\n ---") + len("License: SIL-1.1\n"):]
    ofl = ofl[: ofl.index("\nLicense: ")]
    lines = []
    for line in ofl.rstrip().splitlines():
        line = line[1:] if line.startswith(" ") else line
        lines.append("" if line == "." else line)
    header = """\
NotoSansCJKsc-Regular-GBK.otf is a Modified Version (subset + merge) of these fonts,
all licensed under the SIL Open Font License, Version 1.1 (full text below):

Noto Sans CJK SC 2.004 (Debian package fonts-noto-cjk 1:20220127+repack1-1,
https://github.com/notofonts/noto-cjk):
Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.

Noto Sans, Noto Sans Math and Noto Sans Symbols2 (Debian package fonts-noto-core
20201225-1, https://github.com/notofonts/noto-fonts):
Copyright 2015 Google LLC. All Rights Reserved.  (Noto Sans)
Copyright 2017 Google Inc. All Rights Reserved.  (Noto Sans Symbols2)
Copyright 2018 Google LLC. All Rights Reserved.  (Noto Sans Math)

Noto is a trademark of Google Inc.

"""
    with open(OUT_LICENSE, "w") as f:
        f.write(header + "\n".join(lines) + "\n")
    print(f"wrote {OUT_LICENSE}", file=sys.stderr)


if __name__ == "__main__":
    main()
