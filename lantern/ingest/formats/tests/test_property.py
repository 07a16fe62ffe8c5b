"""Property test: malformed rows never crash a CSV parser.

At least 10,000 rows (440 examples of 25 rows, one table each) of random text, unicode, formula-like cells, wrong types and wrong cell counts
go through every CSV table (903 Header/Episodes/Missing, school exclusions, the four police tables,
ED attendances and a generic mapping), each followed by its within-file validator.  Every row must
come back as a ParsedRow, or as a RowRejected with at least one FieldError naming one of the table's
columns.  A smaller XML run does the same for CIN census Child elements."""

from __future__ import annotations

import csv
import datetime as dt
import io
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantern.ingest.formats import cin_census, generic, health, police, school_exclusions, ssda903
from lantern.ingest.formats.base import FileRejected, ParsedRow, RowRejected

from .helpers import GOLDEN

GENERIC_MAPPING = generic.ColumnMapping.from_json(
    (GOLDEN / "generic_contacts.mapping.json").read_text(encoding="utf-8")
)


def _tables():
    for t in ssda903.FORMAT.tables:
        yield (
            f"903:{t.name}",
            t.column_names,
            lambda data: ssda903.ReturnValidator(known_children={"LCC0000001": dt.date(2009, 3, 14)}).check(
                ssda903.parse(io.BytesIO(data), filename="f.csv", collection_year=2024)
            ),
        )
    yield (
        "exclusions",
        school_exclusions.TABLE.column_names,
        lambda data: school_exclusions.validate_file(
            school_exclusions.parse(io.BytesIO(data), filename="f.csv")
        ),
    )
    for t in police.TABLES:
        yield (
            f"police:{t.name}",
            t.column_names,
            lambda data: police.validate_file(police.parse(io.BytesIO(data), filename="f.csv")),
        )
    yield (
        "health",
        health.TABLE.column_names,
        lambda data: health.validate_file(health.parse(io.BytesIO(data), filename="f.csv")),
    )
    yield (
        "generic",
        tuple(GENERIC_MAPPING.columns),
        lambda data: generic.validate_file(
            generic.parse(io.BytesIO(data), filename="f.csv", mapping=GENERIC_MAPPING), GENERIC_MAPPING
        ),
    )


TABLES = list(_tables())
GOLDEN_FILES = {
    "903:Header": "903_Header.csv", "903:Episodes": "903_Episodes.csv", "903:Missing": "903_Missing.csv",
    "exclusions": "school_exclusions.csv", "police:MissingReports": "police_missing_reports.csv",
    "police:Arrests": "police_arrests.csv", "police:StopSearch": "police_stop_search.csv",
    "police:Intelligence": "police_intelligence.csv", "health": "ed_attendances.csv", "generic": "generic_contacts.csv",
}  # fmt: skip


def _template(name: str) -> list[str]:
    """The first (valid) data row of the table's golden file, in the property test's column order."""
    with (GOLDEN / GOLDEN_FILES[name]).open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        row = next(reader)
    header = next(h for n, h, _p in TABLES if n == name)
    return [row[h] for h in header]


TEMPLATES = {name: _template(name) for name, _h, _p in TABLES}
ROWS_PER_EXAMPLE = 25
EXAMPLES = 440  # one table per example: 440 x 25 = 11,000 rows

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)
PLAUSIBLE = st.sampled_from(
    [
        "", " ", "M", "A", "X", "1", "2", "0", "9", "Y", "N", "maybe", "LCC1", "LCC0000001", "01/01/2020", "31/02/2020",
        "00/00/0000", "12/13/2020", "1/1/20", "2020-01-01 00:00:00", "2020-01-01T10:00:00+01:00", "44562", "44562.5",
        "01/06/2023 10:30", "01/06/2023 25:61", "=1+1", "+44 7700 900123", "-5", "@SUM(A1)", "=HYPERLINK(\"x\")",
        "WBRI", "WXYZ", "N1", "U4", "C2", "S", "P", "X1", "E8", "PR1", "LE11 3AB", "LE11", "le113ab", "ZZ99 9ZZ",
        "9991408916", "9991408917", "D855400114001", "UN1", "21/0012345M", "SUSP", "PERM", "DB", "HIGH", "no_apparent_risk",
        "drugs", "2B", "B2", "7Z", "P", "C", "victim", "gang member", "stab_wound", "walk-in", "charged", "A", "B",
        "14.5", "-1", "1e9", "١٢/٠١/٢٠٢٠", "１２", "\u202e", "\x00", "\x07bell", "a\tb", "line\nbreak", "\"quoted\"",
        "intelligence", "housing_concern", "3", "5", "x" * 300,
    ]
)  # fmt: skip
CELL = st.one_of(PLAUSIBLE, PLAUSIBLE, TEXT)


@st.composite
def mutated(draw: st.DrawFn, template: list[str]) -> list[str]:
    """A valid row with one cell replaced by something arbitrary (so both outcomes are exercised)."""
    row = list(template)
    row[draw(st.integers(0, len(row) - 1))] = draw(CELL)
    return row


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_malformed_csv_rows_never_crash() -> None:
    seen: dict = {"rows": 0, "parsed": 0, "rejected": 0, "tables": set()}

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])  # fmt: skip
    @given(st.data())
    def run(data: st.DataObject) -> None:
        for name, header, parse in [data.draw(st.sampled_from(TABLES), label="table")]:
            width = len(header)
            rows = data.draw(
                st.lists(
                    st.one_of(
                        st.lists(CELL, min_size=width, max_size=width),
                        st.lists(CELL, min_size=max(1, width - 2), max_size=width + 2),
                        mutated(TEMPLATES[name]),
                    ),
                    min_size=ROWS_PER_EXAMPLE,
                    max_size=ROWS_PER_EXAMPLE,
                ),
                label=name,
            )
            # a record whose cells are all blank is skipped (not a row), like a blank line
            expected = sum(1 for r in rows if any(c.strip() for c in r))
            results = list(parse(_csv(header, rows)))
            assert len(results) == expected, name
            for result in results:
                if isinstance(result, RowRejected):
                    assert result.errors, name
                    for error in result.errors:
                        assert error.field in header, (name, error)
                        assert error.file == "f.csv" and error.row == result.row
                        assert str(error)
                    seen["rejected"] += 1
                else:
                    assert isinstance(result, ParsedRow), name
                    for event in result.events:
                        assert event.occurred_at.tzinfo is not None
                        assert event.purpose in ("safeguarding", "law_enforcement")
                        assert event.handling_code is None or (
                            event.item_type == "intelligence" and 1 <= event.handling_code <= 5
                        )
                    seen["parsed"] += 1
            seen["rows"] += expected
            seen["tables"].add(name)

    run()
    assert seen["rows"] >= 10_000, seen
    assert len(seen["tables"]) == len(TABLES), seen["tables"]
    assert seen["rejected"] > seen["parsed"] > 0, seen


CHILD_FIELDS = (
    "LAchildID", "UPN", "PersonBirthDate", "GenderCurrent", "Ethnicity", "CINreferralDate", "ReferralSource",
    "PrimaryNeedCode", "CINclosureDate", "AssessmentActualStartDate", "AssessmentAuthorisationDate", "AssessmentFactors",
    "ReferralNFA",
)  # fmt: skip


def test_malformed_cin_children_never_crash() -> None:
    seen = {"children": 0}

    @settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])  # fmt: skip
    @given(st.lists(st.fixed_dictionaries({f: st.one_of(PLAUSIBLE, TEXT, st.sampled_from(["2023-01-01", "24A", "6"])) for f in CHILD_FIELDS}),
                    min_size=3, max_size=20))  # fmt: skip
    def run(children: list[dict[str, str]]) -> None:
        def clean(v: str) -> str:  # XML 1.0 cannot carry control characters at all
            return escape("".join(ch for ch in v if ch in "\t\n\r" or ord(ch) >= 32))

        parts = ["<Message><Children>"]
        for c in children:
            v = {k: clean(x) for k, x in c.items()}
            parts.append(
                f"<Child><ChildIdentifiers><LAchildID>{v['LAchildID']}</LAchildID><UPN>{v['UPN']}</UPN>"
                f"<PersonBirthDate>{v['PersonBirthDate']}</PersonBirthDate><GenderCurrent>{v['GenderCurrent']}</GenderCurrent>"
                f"</ChildIdentifiers><ChildCharacteristics><Ethnicity>{v['Ethnicity']}</Ethnicity></ChildCharacteristics>"
                f"<CINdetails><CINreferralDate>{v['CINreferralDate']}</CINreferralDate><ReferralSource>{v['ReferralSource']}"
                f"</ReferralSource><PrimaryNeedCode>{v['PrimaryNeedCode']}</PrimaryNeedCode><CINclosureDate>{v['CINclosureDate']}"
                f"</CINclosureDate><Assessments><AssessmentActualStartDate>{v['AssessmentActualStartDate']}</AssessmentActualStartDate>"
                f"<AssessmentAuthorisationDate>{v['AssessmentAuthorisationDate']}</AssessmentAuthorisationDate>"
                f"<FactorsIdentifiedAtAssessment><AssessmentFactors>{v['AssessmentFactors']}</AssessmentFactors>"
                f"</FactorsIdentifiedAtAssessment></Assessments><ReferralNFA>{v['ReferralNFA']}</ReferralNFA></CINdetails></Child>"
            )
        parts.append("</Children></Message>")
        data = "".join(parts).encode("utf-8")
        try:
            results = list(cin_census.validate_file(cin_census.parse(io.BytesIO(data), filename="c.xml")))
        except FileRejected:  # pragma: no cover - only if the generated document is not XML at all
            raise AssertionError("a well-formed document was refused") from None
        assert [r.row for r in results] == list(range(1, len(children) + 1))
        for r in results:
            if isinstance(r, RowRejected):
                assert r.errors and all(e.field for e in r.errors)
        seen["children"] += len(children)

    run()
    assert seen["children"] > 100
