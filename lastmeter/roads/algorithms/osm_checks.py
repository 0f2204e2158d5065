"""Checks of an OSM file before libosmium reads it: size, the container its name promises, and
for XML a root element ``<osm>`` with no DTD.

A road file is chosen by an administrator, but it is downloaded from somewhere: a truncated
download, an HTML error page saved as ``.osm``, a ``.gz`` that is not gzip, or a hostile XML file
with entity declarations ("billion laughs") should each end in one clear sentence, not in a
libosmium exception or a machine out of memory.

XML is read with defusedxml's expat parser with DTDs forbidden: an OSM file never has one, and
without a DTD no entity can be declared, so none is expanded. Only the prolog up to the root
element is parsed here (a DOCTYPE can only come before it); the rest is libosmium's, which
itself refuses entity declarations. Then the whole (inflated) text is read once, counting and
decoding: a compressed file that unpacks beyond the limit, or text that is not UTF-8, is refused
before libosmium builds anything from it.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, cast

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

GZIP_MAGIC = b"\x1f\x8b"
BZIP2_MAGIC = b"BZh"
# A PBF file starts with a 4-byte length, then a BlobHeader whose first field is its type:
# field 1, wire type 2 (0x0a), length 9, "OSMHeader".
PBF_HEADER = b"\x0a\x09OSMHeader"
CHUNK = 1 << 20


class OsmFileRefused(ValueError):
    """The file is too large, not what its name says, or XML that is not a plain OSM document."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


class _RootFound(Exception):
    def __init__(self, tag: str) -> None:
        self.tag = tag


class _StopAtRoot:
    """A parser target that stops the parse at the first start tag."""

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        raise _RootFound(tag)


def _root_of(stream: IO[bytes], name: str) -> str:
    """The root element's name, parsing no further than its start tag; refuses a DTD."""
    head = stream.read(4)
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")):
        raise OsmFileRefused(f"{name}: UTF-16 text; OSM XML must be UTF-8")
    # encoding="utf-8" overrides the XML declaration: bytes that are not UTF-8 are a parse error.
    parser = DefusedXMLParser(
        target=_StopAtRoot(), encoding="utf-8", forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(head)
        while chunk := stream.read(64 * 1024):
            parser.feed(chunk)
        parser.close()
    except _RootFound as found:
        return found.tag
    except DefusedXmlException as exc:
        raise OsmFileRefused(
            f"{name}: XML with a DTD or entities is refused ({type(exc).__name__})"
        ) from None
    except SyntaxError as exc:  # expat's ParseError, including text that is not UTF-8
        raise OsmFileRefused(f"{name}: not well-formed XML ({exc})") from None
    raise OsmFileRefused(f"{name}: no XML element in the file")


def _scan(open_stream: Callable[[Path], IO[bytes]], path: Path, name: str, limit: int) -> None:
    """One pass over the (inflated) XML: at most ``limit`` bytes, all of it UTF-8 — libosmium
    would take a GBK file's bytes as street names."""
    total = 0
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open_stream(path) as stream:
            while chunk := stream.read(CHUNK):
                total += len(chunk)
                if total > limit:
                    raise OsmFileRefused(
                        f"{name}: unpacks to more than {_mb(limit)}, the limit (LASTMETER_MAX_OSM_BYTES)"
                    )
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        at = total - len(chunk) + exc.start if total else exc.start
        raise OsmFileRefused(f"{name}: not UTF-8 text (byte {at}); OSM XML must be UTF-8") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise OsmFileRefused(f"{name}: a damaged compressed file ({exc})") from None


def check_osm_file(path: str | Path, max_bytes: int) -> None:
    """Raise ``OsmFileRefused`` unless ``path`` is an OSM file of at most ``max_bytes`` (and, if
    compressed, inflating to at most that) whose content matches its suffix."""
    path = Path(path)
    name = path.name
    size = path.stat().st_size
    if size > max_bytes:
        raise OsmFileRefused(
            f"{name}: {_mb(size)} is over the limit of {_mb(max_bytes)} (LASTMETER_MAX_OSM_BYTES)"
        )
    with path.open("rb") as fh:
        head = fh.read(64)
    lower = name.lower()
    if lower.endswith(".pbf"):
        if len(head) < 4 + len(PBF_HEADER) or head[4 : 4 + len(PBF_HEADER)] != PBF_HEADER:
            raise OsmFileRefused(f"{name}: not an OSM PBF file (no OSMHeader block at the start)")
        return
    if lower.endswith(".gz"):
        if not head.startswith(GZIP_MAGIC):
            raise OsmFileRefused(f"{name}: named .gz but not a gzip file")
        opener: Callable[[Path], IO[bytes]] = _gzip
    elif lower.endswith(".bz2"):
        if not head.startswith(BZIP2_MAGIC):
            raise OsmFileRefused(f"{name}: named .bz2 but not a bzip2 file")
        opener = _bzip2
    else:
        opener = open_binary
    try:
        with opener(path) as stream:
            root = _root_of(stream, name)
    except (OSError, EOFError, zlib.error) as exc:
        raise OsmFileRefused(f"{name}: a damaged compressed file ({exc})") from None
    if root != "osm":
        raise OsmFileRefused(f"{name}: the XML root is <{root}>, not <osm>: not an OSM file")
    _scan(opener, path, name, max_bytes)


def open_binary(path: Path) -> IO[bytes]:
    return path.open("rb")


def _gzip(path: Path) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb"))  # a GzipFile is a binary file object


def _bzip2(path: Path) -> IO[bytes]:
    return bz2.open(path, "rb")


__all__ = ["OsmFileRefused", "check_osm_file"]
