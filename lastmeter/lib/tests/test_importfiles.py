"""Import files checked before a row is read: size (of the file and of what a gzip inflates to),
type (what people save instead of CSV) and UTF-8, each refused with a sentence that says what to do."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from lastmeter.lib.importfiles import ImportRefused, read_import_text

CSV = "station,date,precipitation\n徐家汇,2026-11-20,3.5\n"


def test_it_reads_utf8_csv_with_or_without_a_bom_and_gzipped(tmp_path):
    plain = tmp_path / "weather.csv"
    plain.write_bytes(b"\xef\xbb\xbf" + CSV.encode())
    packed = tmp_path / "weather.csv.gz"
    packed.write_bytes(gzip.compress(CSV.encode()))
    assert read_import_text(plain) == CSV
    assert read_import_text(packed) == CSV


def test_it_refuses_a_file_over_the_limit_before_reading_it(tmp_path, settings):
    settings.LASTMETER_MAX_IMPORT_BYTES = 1024
    big = tmp_path / "accidents.csv"
    big.write_text("id,lat,lon\n" + "1,31.2,121.4\n" * 200)
    with pytest.raises(
        ImportRefused, match=r"accidents.csv: .* over the import limit .*LASTMETER_MAX_IMPORT_BYTES"
    ):
        read_import_text(big)


def test_it_refuses_a_gzip_that_inflates_past_the_limit(tmp_path):
    bomb = tmp_path / "calls.csv.gz"
    bomb.write_bytes(gzip.compress(b"a" * (8 * 1024 * 1024)))  # 8 MB in about 8 KB
    assert bomb.stat().st_size < 64 * 1024
    with pytest.raises(ImportRefused, match=r"unpacks to more than 1\.0 MB"):
        read_import_text(bomb, limit=1024 * 1024)


def test_it_names_what_was_saved_instead_of_csv(tmp_path):
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    xlsx = tmp_path / "accidents.csv"
    xlsx.write_bytes(workbook.getvalue())
    with pytest.raises(ImportRefused, match=r"ZIP archive .*CSV UTF-8"):
        read_import_text(xlsx)
    fake_gz = tmp_path / "accidents.csv.gz"
    fake_gz.write_text(CSV)
    with pytest.raises(ImportRefused, match=r"named \.gz but not a gzip file"):
        read_import_text(fake_gz)
    binary = tmp_path / "dump.csv"
    binary.write_bytes(b"id,lat\x00\x00\x01\x02")
    with pytest.raises(ImportRefused, match="binary file"):
        read_import_text(binary)


def test_it_refuses_text_that_is_not_utf8_with_the_line(tmp_path):
    gbk = tmp_path / "calls.csv"
    gbk.write_bytes("id,text\n1,福州路违停\n".encode("gbk"))
    with pytest.raises(ImportRefused, match=r"not UTF-8 text \(byte 0x.. on line 2\).*iconv"):
        read_import_text(gbk)
