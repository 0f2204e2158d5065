"""Files handed to an import (CSV of accidents, weather, calls, unit factors, training rows):
checked for size and type before a single row is read.

An import file comes from someone's desktop or an open-data portal; the mistakes it can carry are
ordinary (an XLSX saved instead of CSV, a GBK export, a 2 GB dump) and occasionally hostile (a
gzip that inflates to many gigabytes). ``read_import_text`` refuses each with a sentence that says
what to do, raising ``ImportRefused`` (a ServiceError), so commands print it and exit 2 and
nothing has been written yet.

The limit is ``LASTMETER_MAX_IMPORT_BYTES`` (settings), applied to the file and again to what a
gzip file inflates to.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path

from django.conf import settings

from lastmeter.lib.errors import ServiceError

GZIP_MAGIC = b"\x1f\x8b"
# What people save by mistake instead of CSV, recognised by their first bytes.
NOT_TEXT = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook is one): save the sheet as “CSV UTF-8”",
    b"\xd0\xcf\x11\xe0": "an old Excel/Word file: save the sheet as “CSV UTF-8”",
    b"%PDF": "a PDF",
    b"BZh": "a bzip2 archive: unpack it, or compress it with gzip instead",
    b"\xfd7zXZ": "an xz archive: unpack it, or compress it with gzip instead",
}


class ImportRefused(ServiceError):
    """The file is too large, not text, or not UTF-8; nothing was imported."""


def max_import_bytes() -> int:
    return int(settings.LASTMETER_MAX_IMPORT_BYTES)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _gunzip(data: bytes, name: str, limit: int) -> bytes:
    """Inflate at most ``limit`` bytes: a gzip bomb is refused after reading limit + 1 bytes."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            out = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportRefused(f"{name}: a damaged gzip file ({exc})") from None
    if len(out) > limit:
        raise ImportRefused(
            f"{name}: unpacks to more than {_mb(limit)}, the import limit (LASTMETER_MAX_IMPORT_BYTES); "
            "split the file"
        )
    return out


def check_size(size: int, name: str, limit: int | None = None) -> None:
    """Refuse a file of ``size`` bytes over the import limit."""
    limit = max_import_bytes() if limit is None else limit
    if size > limit:
        raise ImportRefused(
            f"{name}: {_mb(size)} is over the import limit of {_mb(limit)} "
            "(LASTMETER_MAX_IMPORT_BYTES); split the file or raise the limit"
        )


def read_import_text(source: Path | str | bytes, *, name: str = "", limit: int | None = None) -> str:
    """The text of an import file (a path or its bytes), gzip-compressed or not, decoded as
    UTF-8 (a byte-order mark is dropped). Raises ``ImportRefused`` for a file over the limit, a
    binary file, or text that is not UTF-8."""
    limit = max_import_bytes() if limit is None else limit
    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        try:
            check_size(path.stat().st_size, name, limit)  # before reading a byte of it
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImportRefused(f"{name}: no such file") from None
        except IsADirectoryError:
            raise ImportRefused(f"{name}: a folder, not a file") from None
    else:
        data, name = bytes(source), name or "the file"
        check_size(len(data), name, limit)
    if data.startswith(GZIP_MAGIC):
        data = _gunzip(data, name, limit)
    elif name.lower().endswith(".gz"):
        raise ImportRefused(f"{name}: named .gz but not a gzip file")
    for magic, what in NOT_TEXT.items():
        if data.startswith(magic):
            raise ImportRefused(f"{name}: this is {what}, not a CSV text file")
    if b"\x00" in data[:65536]:
        raise ImportRefused(f"{name}: a binary file (it holds NUL bytes), not a CSV text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRefused(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as "
            "“CSV UTF-8” or convert it, e.g. iconv -f GB18030 -t UTF-8"
        ) from None
    return text


__all__ = ["ImportRefused", "check_size", "max_import_bytes", "read_import_text"]
