"""Containers written byte by byte for the hostile set: zip files whose directory says what we choose, and
OLE compound files (the container of encrypted workbooks and of old .xls files).

``raw_zip`` writes deflated entries from data compressed once, so five parts of 230 MB cost one compression,
and may declare sizes that differ from the content. ``ole_file`` writes a minimal valid compound file
(MS-CFB version 3: 512-byte sectors, one FAT sector, one directory sector) holding the named streams.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Deflated:
    """One part's deflated bytes, its CRC-32 and its real uncompressed size."""

    data: bytes
    crc: int
    size: int


def deflate(chunks: Iterable[bytes], level: int = 1) -> Deflated:
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    out, crc, size = [], 0, 0
    for chunk in chunks:
        out.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    out.append(packer.flush())
    return Deflated(b"".join(out), crc, size)


def raw_zip(path: Path, entries: list[tuple[str, Deflated]], declared: dict[str, int] | None = None) -> Path:
    """A zip of deflated entries; ``declared`` overrides the uncompressed size the directory states (zip64 when large)."""
    declared = declared or {}
    central, offset = [], 0
    with path.open("wb") as f:
        for name, part in entries:
            size = declared.get(name, part.size)
            raw = name.encode()
            extra = struct.pack("<HHQQ", 1, 16, size, len(part.data)) if size >= 0xFFFFFFFF else b""
            small = 0xFFFFFFFF if extra else size
            packed = 0xFFFFFFFF if extra else len(part.data)
            head = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0x800, 8, 0, 0x21, part.crc, packed, small,
                               len(raw), len(extra))
            f.write(head + raw + extra + part.data)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0x800, 8, 0, 0x21, part.crc, packed,
                                       small, len(raw), len(extra), 0, 0, 0, 0, offset) + raw + extra)
            offset += len(head) + len(raw) + len(extra) + len(part.data)
        directory = b"".join(central)
        f.write(directory)
        count = len(central)
        if count >= 0xFFFF:  # zip64 end record and its locator, then an end record pointing at them
            f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(directory), offset))
            f.write(struct.pack("<IIQI", 0x07064B50, 0, offset + len(directory), 1))
            count = 0xFFFF
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), offset, 0))
    return path


def copy_parts(src: Path) -> list[tuple[str, Deflated]]:
    """Every part of an existing zip, deflated again (to build on a workbook openpyxl wrote)."""
    import zipfile

    with zipfile.ZipFile(src) as z:
        return [(n, deflate([z.read(n)])) for n in z.namelist()]


SECTOR = 512
FREE, END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole_file(path: Path, streams: dict[str, bytes]) -> Path:
    """A compound file with these streams in its root storage (each padded to 4,096 bytes, so no mini stream).

    Sector 0 is the FAT, sector 1 the directory (the root entry and up to three streams), then the streams.
    """
    assert len(streams) <= 3
    bodies = [data + b"\0" * (-len(data) % SECTOR) for data in
              (d if len(d) >= 4096 else d + b"\0" * (4096 - len(d)) for d in streams.values())]
    fat = [FAT_SECTOR, END_OF_CHAIN]
    starts = []
    for body in bodies:
        first = len(fat)
        count = len(body) // SECTOR
        fat += list(range(first + 1, first + count)) + [END_OF_CHAIN]
        starts.append(first)
    assert len(fat) <= SECTOR // 4
    fat_sector = struct.pack(f"<{SECTOR // 4}I", *(fat + [FREE] * (SECTOR // 4 - len(fat))))
    names = list(streams)
    entries = [_dir_entry("Root Entry", 5, END_OF_CHAIN, 0, child=1 if names else NO_STREAM)]
    for i, (name, data) in enumerate(streams.items(), 1):
        right = i + 1 if i < len(names) else NO_STREAM
        entries.append(_dir_entry(name, 2, starts[i - 1], max(len(data), 4096), right=right))
    while len(entries) < 4:
        entries.append(b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NO_STREAM, NO_STREAM,
                                                                                   NO_STREAM) + b"\0" * 48)
    header = (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END_OF_CHAIN, 0, END_OF_CHAIN, 0)
              + struct.pack("<I", 0) + struct.pack("<108I", *([FREE] * 108)))
    assert len(header) == SECTOR
    path.write_bytes(header + fat_sector + b"".join(entries) + b"".join(bodies))
    return path


def _dir_entry(name: str, kind: int, start: int, size: int, child: int = NO_STREAM, right: int = NO_STREAM) -> bytes:
    raw = (name + "\0").encode("utf-16-le")
    return (raw + b"\0" * (64 - len(raw)) + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", NO_STREAM, right, child) + b"\0" * 16 + b"\0" * 4 + b"\0" * 16
            + struct.pack("<IQ", start, size))
