"""File-level problems, encodings, streaming with bounded memory, and malicious XML."""

from __future__ import annotations

import gc
import io
import sys
import tracemalloc
from collections.abc import Iterator

import pytest

from lantern.ingest.formats import cin_census, generic, health, police, school_exclusions, ssda903
from lantern.ingest.formats.base import DigestIndex, FileRejected, FileValidator, ParsedRow, RowRejected

MISSING_HEADER = b"CHILD,DOB,MISSING,MIS_START,MIS_END\r\n"
ED_HEADER = (
    "attendance_id,local_patient_id,nhs_number,surname,forename,dob,sex,ethnicity,postcode,address,town,"
    "arrival_at,arrival_mode,presenting_complaint,injury_type,outcome\r\n"
)
ED_ROW = (
    "ED1,RWE1,,{surname},Siobhán,01/01/2009,F,WIRI,,,,16/09/2023 18:45,walk-in,assault,assault,discharged\r\n"
)


def rejected(call) -> FileRejected:
    with pytest.raises(FileRejected) as info:
        call()
    return info.value


PARSERS = {
    "ssda903": lambda data: ssda903.parse(io.BytesIO(data), filename="f.csv"),
    "school_exclusions": lambda data: school_exclusions.parse(io.BytesIO(data), filename="f.csv"),
    "police": lambda data: police.parse(io.BytesIO(data), filename="f.csv"),
    "health": lambda data: health.parse(io.BytesIO(data), filename="f.csv"),
    "cin_census": lambda data: cin_census.parse(io.BytesIO(data), filename="f.xml"),
    "generic": lambda data: generic.parse(
        io.BytesIO(data), filename="f.csv", mapping=generic.ColumnMapping({"id": "source_key"})
    ),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n"])
def test_empty_file_is_refused_before_any_row(name: str, data: bytes) -> None:
    error = rejected(lambda: PARSERS[name](data))
    assert "empty" in str(error)
    assert error.errors[0].row == 0


def test_header_only_file_has_no_rows() -> None:
    assert list(ssda903.parse(io.BytesIO(MISSING_HEADER), filename="m.csv")) == []


def test_semicolon_delimiter_is_refused() -> None:
    data = b"CHILD;DOB;MISSING;MIS_START;MIS_END\r\nLCC1;01/01/2010;M;02/02/2023;\r\n"
    error = rejected(lambda: ssda903.parse(io.BytesIO(data), filename="m.csv"))
    assert "comma-separated values; the header is separated by semicolons" in str(error)
    assert "m.csv, header, field (delimiter)" in str(error)


def test_tab_delimiter_is_refused() -> None:
    data = ED_HEADER.replace(",", "\t").encode()
    assert "tabs" in str(rejected(lambda: health.parse(io.BytesIO(data), filename="ed.tsv")))


def test_bom_is_transparent_and_headers_match_case_insensitively() -> None:
    data = b"\xef\xbb\xbfchild, dob ,Missing,MIS_START,mis_end\r\nLCC1,01/01/2010,M,02/02/2023,\r\n"
    (row,) = list(ssda903.parse(io.BytesIO(data), filename="m.csv"))
    assert isinstance(row, ParsedRow) and row.values["CHILD"] == "LCC1"


def test_latin1_file_is_refused_with_a_hint_and_accepted_when_declared() -> None:
    data = (ED_HEADER + ED_ROW.format(surname="O'Neil")).encode("latin-1")
    error = rejected(lambda: health.parse(io.BytesIO(data), filename="ed.csv"))
    assert (
        "byte 0xe1" in str(error)
        and "Windows-1252/Latin-1" in str(error)
        and "encoding='cp1252'" in str(error)
    )
    (row,) = list(health.parse(io.BytesIO(data), filename="ed.csv", encoding="cp1252"))
    assert isinstance(row, ParsedRow) and row.person.given_name == "Siobhán"


def test_bad_bytes_after_the_sniffed_prefix_reject_only_their_row() -> None:
    good = ED_ROW.format(surname="Murphy").encode()
    rows = [good] * 2000 + [ED_ROW.format(surname="Caf\udce9").encode("utf-8", "surrogateescape")] + [good]
    data = ED_HEADER.encode() + b"".join(rows)
    assert len(data) > 64 * 1024
    results = list(health.parse(io.BytesIO(data), filename="ed.csv"))
    bad = [r for r in results if isinstance(r, RowRejected)]
    assert len(results) == 2002 and [r.row for r in bad] == [2001]
    assert bad[0].errors[0].field == "surname" and bad[0].errors[0].rule == "LAN-ENCODING"


def test_utf16_and_workbooks_are_refused() -> None:
    assert "UTF-16" in str(
        rejected(lambda: health.parse(io.BytesIO(ED_HEADER.encode("utf-16")), filename="ed.csv"))
    )
    xlsx = b"PK\x03\x04" + b"\x00" * 100
    assert "workbook" in str(rejected(lambda: health.parse(io.BytesIO(xlsx), filename="ed.csv")))


def test_missing_extra_and_duplicated_columns_are_listed() -> None:
    missing = b"CHILD,DOB,MISSING,MIS_START\r\n"
    error = rejected(lambda: ssda903.parse(io.BytesIO(missing), filename="m.csv"))
    assert "missing: MIS_END" in str(error)
    extra = b"CHILD,DOB,MISSING,MIS_START,MIS_END,NOTES\r\n"
    assert "unexpected: NOTES" in str(rejected(lambda: ssda903.parse(io.BytesIO(extra), filename="m.csv")))
    dup = b"CHILD,DOB,MISSING,MIS_START,MIS_END,DOB\r\n"
    assert "duplicated" in str(rejected(lambda: ssda903.parse(io.BytesIO(dup), filename="m.csv")))
    with pytest.raises(FileRejected) as info:
        ssda903.parse(io.BytesIO(b"CHILD,DOB\r\n"), filename="m.csv", table="Missing")
    assert "missing: MISSING, MIS_START, MIS_END" in str(info.value)


def test_generic_mapping_columns_must_exist_but_others_are_ignored() -> None:
    mapping = generic.ColumnMapping(
        {"Ref": "source_key", "When": "occurred_at"}, {"item_type": "housing_concern"}
    )
    data = b"Ref,When,Officer\r\nT1,01/02/2024 10:00,AB\r\n"
    (row,) = list(generic.parse(io.BytesIO(data), filename="g.csv", mapping=mapping))
    assert isinstance(row, ParsedRow) and row.events[0].item_type == "housing_concern"
    error = rejected(lambda: generic.parse(io.BytesIO(b"Ref,Officer\r\n"), filename="g.csv", mapping=mapping))
    assert "missing: When" in str(error)
    with pytest.raises(ValueError, match="unknown field"):
        generic.ColumnMapping.from_json(
            generic.ColumnMapping({"Ref": "source_key", "X": "shoe_size"}).to_json()
        )
    assert generic.ColumnMapping.from_json(mapping.to_json()) == mapping


def test_rows_with_the_wrong_number_of_cells_name_a_field() -> None:
    data = (
        MISSING_HEADER
        + b"LCC1,01/01/2010,M\r\nLCC1,01/01/2010,M,02/02/2023,,extra\r\nLCC1,01/01/2010,M,03/02/2023,,,\r\n"
    )
    short, long, trailing = list(ssda903.parse(io.BytesIO(data), filename="m.csv"))
    assert isinstance(short, RowRejected) and short.errors[0].field == "MIS_START"
    assert (
        isinstance(long, RowRejected)
        and long.errors[0].field == "MIS_END"
        and long.errors[0].rule == "LAN-CELLS"
    )
    assert isinstance(trailing, ParsedRow)  # trailing empty cells (a spreadsheet habit) are dropped


def test_quoted_newlines_and_blank_lines_keep_row_numbers() -> None:
    header = ED_HEADER.encode()
    row = (
        ED_ROW.format(surname="Murphy")
        .replace("assault,assault", '"assault\r\nat a bus stop",assault')
        .encode()
    )
    data = header + row + b"\r\n" + ED_ROW.format(surname="3rd").encode()
    first, second = list(health.parse(io.BytesIO(data), filename="ed.csv"))
    assert first.row == 1 and first.events[0].details["presenting_complaint"] == "assault\r\nat a bus stop"
    assert second.row == 3 and isinstance(second, RowRejected)


def test_a_huge_cell_rejects_its_row_only() -> None:
    data = (
        MISSING_HEADER + b'LCC1,01/01/2010,M,"' + b"x" * 200_000 + b'",\r\nLCC2,01/01/2010,M,02/02/2023,\r\n'
    )
    results = list(ssda903.parse(io.BytesIO(data), filename="m.csv"))
    assert isinstance(results[0], RowRejected) and results[0].errors[0].rule == "LAN-CSV"
    assert all(isinstance(r, (ParsedRow, RowRejected)) for r in results)


def test_dates_written_by_spreadsheets() -> None:
    rows = [
        b"LCC1,2010-01-05 00:00:00,M,05/01/2023 00:00,",  # ISO date-time / midnight time: accepted with notes
        b"LCC2,5/1/2010,M,2/2/2023,",  # no leading zeros: accepted
        b"LCC3,01/01/10,M,02/02/2023,",  # two-digit year: refused
        b"LCC4,01/13/2010,M,02/02/2023,",  # US order
        b"LCC5,40183,M,02/02/2023,",  # serial number
    ]
    r = list(ssda903.parse(io.BytesIO(MISSING_HEADER + b"\r\n".join(rows) + b"\r\n"), filename="m.csv"))
    assert (
        isinstance(r[0], ParsedRow)
        and len(r[0].notes) == 2
        and r[0].values["DOB"].isoformat() == "2010-01-05"
    )
    assert isinstance(r[1], ParsedRow) and r[1].values["DOB"].isoformat() == "2010-01-05" and not r[1].notes
    assert "two-digit year" in r[2].errors[0].expected
    assert "month/day/year" in r[3].errors[0].expected
    assert "serial number" in r[4].errors[0].expected and "05/01/2010" in r[4].errors[0].expected


def test_iso_datetimes_with_an_offset_are_converted_to_london_time() -> None:
    data = (
        ED_HEADER + ED_ROW.format(surname="Murphy").replace("16/09/2023 18:45", "2023-09-16T17:45:00Z")
    ).encode()
    (row,) = list(health.parse(io.BytesIO(data), filename="ed.csv"))
    when = row.events[0].occurred_at
    assert (when.hour, when.minute, str(when.tzinfo)) == (18, 45, "Europe/London") and not row.notes


# ------------------------------------------------------------------------------------------ streaming


class GeneratedFile(io.RawIOBase):
    """A read-only binary file whose rows are made on demand (a '2 GB' file never held anywhere)."""

    def __init__(self, header: bytes, rows: int):
        self.pending = header
        self.next_row = 0
        self.rows = rows
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while len(self.pending) < len(buffer) and self.next_row < self.rows:
            i = self.next_row
            self.pending += f"LCC{i % 7919:07d},01/01/2010,{'MA'[i % 2]},{1 + i % 28:02d}/{1 + i % 12:02d}/2023,\r\n".encode()
            self.next_row += 1
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        self.bytes_read += n
        return n


def test_parse_reads_lazily_from_a_2gb_style_stream() -> None:
    source = GeneratedFile(MISSING_HEADER, rows=40_000_000)  # ~2 GB if it were all read
    results = ssda903.parse(io.BufferedReader(source), filename="big.csv")
    first = next(results)
    assert isinstance(first, ParsedRow)
    assert source.bytes_read < 300_000  # the sniffed prefix and one buffer, not the file
    for _ in range(10_000):
        next(results)
    assert source.bytes_read < 1_000_000


def test_parse_memory_is_bounded_over_200k_rows() -> None:
    """Live allocations after 200,000 rows are no more than after 20,000 (plus noise), and a traced run
    over 30,000 rows peaks well under a megabyte."""
    source = GeneratedFile(MISSING_HEADER, rows=200_000)
    results = ssda903.parse(io.BufferedReader(source), filename="big.csv")
    count = 0
    gc.collect()
    for result in results:
        count += 1
        assert isinstance(result, ParsedRow)
        if count == 20_000:
            gc.collect()
            blocks_early = sys.getallocatedblocks()
    gc.collect()
    blocks_late = sys.getallocatedblocks()
    assert count == 200_000
    assert blocks_late - blocks_early < 2_000, (blocks_early, blocks_late)

    traced = GeneratedFile(MISSING_HEADER, rows=30_000)
    tracemalloc.start()
    try:
        n = sum(1 for _ in ssda903.parse(io.BufferedReader(traced), filename="big.csv"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 30_000 and peak < 1_000_000, peak


def _rows_with_duplicates_far_apart(count: int) -> Iterator[ParsedRow]:
    """Rows 1-20,000 distinct; then each key again (row i repeats the key of row i - 20,000); the last
    1,000 rows exact copies of rows 1-1,000."""
    for i in range(1, count + 1):
        source = i - 29_000 if i > 29_000 else i
        raw = {"key": f"K{source % 20_000}", "n": str(source)}
        yield ParsedRow(i, "f.csv", "T", raw["key"], raw["key"], None, (), (), raw, {})


def test_validator_memory_is_bounded_by_its_buffer_not_the_file() -> None:
    """The duplicate index keeps only its latest digests in memory and the rest on disk: with a
    1,000-digest buffer, duplicates 20,000 rows apart are still found, naming the first row."""
    validator = FileValidator()
    validator._seen = DigestIndex(buffer=1_000, bits=16)
    results = list(validator.check(_rows_with_duplicates_far_apart(30_000)))
    assert len(validator._seen._pending) < 1_000 and validator._seen._db is not None
    rejected = {r.row: r.errors[0] for r in results if isinstance(r, RowRejected)}
    assert set(rejected) == set(range(20_001, 30_001))
    assert rejected[25_000].rule == "LAN-DUP-KEY" and "row 5000 " in rejected[25_000].expected
    assert rejected[29_500].rule == "LAN-DUP-ROW" and rejected[29_500].expected.endswith("row 500")
    in_memory = list(FileValidator().check(_rows_with_duplicates_far_apart(30_000)))
    assert [type(r) for r in in_memory] == [type(r) for r in results]


def test_the_digest_index_finds_every_digest_it_was_given() -> None:
    index = DigestIndex(buffer=500, bits=12)  # a tiny bitmap: most lookups go to the disk
    digests = [(i * 2654435761) % (1 << 64) for i in range(1, 5_001)]
    for row, digest in enumerate(digests, start=1):
        assert index.get(digest) is None
        index.add(digest, row)
    assert all(index.get(d) == row for row, d in enumerate(digests, start=1))
    assert index.get((1 << 64) - 1) is None and index.get(12345) is None
    index.close()


# ------------------------------------------------------------------------------------------ XML safety

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&lol9;</LAchildID></ChildIdentifiers></Child></Children></Message>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID></ChildIdentifiers></Child></Children></Message>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE Message SYSTEM "http://example.invalid/cin.dtd">
<Message><Children/></Message>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]>
<Message><Children/></Message>"""


class NonSeekable(io.RawIOBase):
    def __init__(self, data: bytes):
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


@pytest.mark.parametrize(
    "payload", [BILLION_LAUGHS, XXE, EXTERNAL_DTD, PARAMETER_ENTITY], ids=["laughs", "xxe", "dtd", "param"]
)
@pytest.mark.parametrize("wrap", [io.BytesIO, NonSeekable], ids=["seekable", "stream"])
def test_malicious_xml_is_refused(payload: bytes, wrap) -> None:
    error = rejected(lambda: list(cin_census.parse(wrap(payload), filename="evil.xml")))
    assert "document type declaration" in str(error) and error.errors[0].row == 0


def test_malformed_xml_is_refused_before_any_row_when_seekable() -> None:
    good_child = (
        b"<Child><ChildIdentifiers><LAchildID>A1</LAchildID><PersonBirthDate>2010-01-01</PersonBirthDate>"
        b"<GenderCurrent>1</GenderCurrent></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
        b"</ChildCharacteristics><CINdetails><CINreferralDate>2023-01-01</CINreferralDate><ReferralSource>6"
        b"</ReferralSource><ReferralNFA>false</ReferralNFA></CINdetails></Child>"
    )
    data = b"<Message><Children>" + good_child * 3 + b"<Child><oops></Child></Children></Message>"
    error = rejected(lambda: cin_census.parse(io.BytesIO(data), filename="bad.xml"))
    assert "well-formed XML" in str(error)
    stream = cin_census.parse(NonSeekable(data), filename="bad.xml")  # cannot pre-check: fails mid-stream
    assert isinstance(next(stream), ParsedRow)
    with pytest.raises(FileRejected):
        list(stream)
    namespaced = data.replace(b"<Child><oops></Child>", b"").replace(
        b"<Message>", b'<Message xmlns="urn:dfe:cin">'
    )
    assert [r.row for r in cin_census.parse(io.BytesIO(namespaced), filename="ns.xml")] == [1, 2, 3]
    assert "root element is <Message>" in str(
        rejected(lambda: cin_census.parse(io.BytesIO(b"<Other/>"), filename="x.xml"))
    )


def test_xml_memory_is_bounded() -> None:
    child = (
        b"<Child><ChildIdentifiers><LAchildID>A%d</LAchildID><PersonBirthDate>2010-01-01</PersonBirthDate>"
        b"<GenderCurrent>1</GenderCurrent></ChildIdentifiers><ChildCharacteristics><Ethnicity>WBRI</Ethnicity>"
        b"</ChildCharacteristics><CINdetails><CINreferralDate>2023-01-01</CINreferralDate><ReferralSource>6"
        b"</ReferralSource><ReferralNFA>false</ReferralNFA></CINdetails></Child>"
    )

    class Children(io.RawIOBase):
        def __init__(self, n: int):
            self.parts = iter(
                [b"<Message><Children>", *(child % i for i in range(n)), b"</Children></Message>"]
            )
            self.pending = b""

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            while len(self.pending) < len(buffer):
                nxt = next(self.parts, None)
                if nxt is None:
                    break
                self.pending += nxt
            n = min(len(buffer), len(self.pending))
            buffer[:n] = self.pending[:n]
            self.pending = self.pending[n:]
            return n

    results = cin_census.parse(Children(10_000), filename="big.xml")
    gc.collect()
    count = 0
    for _r in results:
        count += 1
        if count == 2_000:
            gc.collect()
            early = sys.getallocatedblocks()
    gc.collect()
    assert count == 10_000 and sys.getallocatedblocks() - early < 2_000

    # a seekable file is checked in full first (well-formedness); that pass must not grow with the file
    def growth_after_check(n: int) -> int:
        seekable = io.BytesIO(b"".join(Children(n).parts))
        gc.collect()
        before = sys.getallocatedblocks()
        results = cin_census.parse(seekable, filename="big.xml")
        gc.collect()
        grown = sys.getallocatedblocks() - before
        assert sum(1 for _ in results) == n
        return grown

    small, large = growth_after_check(1_000), growth_after_check(10_000)
    assert large - small < 1_000, (small, large)
