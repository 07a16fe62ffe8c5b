"""SSDA903 export (issue 3, acceptance point 3).

* The writer (pure): the validator's columns, ``dd/mm/yyyy`` dates, SEX coded for the year, the year's
  rows, episodes rebuilt from either stored shape, and CSV-injection escaping.
* End to end: the demo county's 903 returns go in through the import pipeline, and the 2025-26 return
  comes back out. The DfE rules validator (csc-validator-be-903, run by ``scripts/lac-validator.sh``
  from its own cached virtualenv) must raise no error from any rule on the Missing table. Every other
  error must be on the allow-list below, with the reason the synthetic data causes it.
* Access: only a children's social care agency's team manager or data officer may export; only that
  agency's own items go into the return; a refused export writes nothing; an export is audited with
  every exported child as a subject.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lantern.access.models import Team
from lantern.access.policy import Viewer
from lantern.access.services import agreement_save, user_create
from lantern.audit.codes import AuditCode
from lantern.audit.models import AuditEvent
from lantern.conftest import PASSWORD, at
from lantern.core.exceptions import AccessDenied
from lantern.ingest.export_services import ssda903_export
from lantern.ingest.exports import ssda903 as export903
from lantern.ingest.exports.ssda903 import Child, Episode, MissingPeriod, build_return, write_return
from lantern.ingest.models import ImportBatch
from lantern.ingest.services import import_batch_commit, import_batch_create, import_batch_validate
from lantern.people.models import SourceRecord
from lantern.people.services import ItemIn, timeline_items_collect
from lantern.synthetic import generator as gen
from lantern.synthetic.files import write_county_files

from .conftest import AS_OF

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "lac-validator.sh"
LA = "E10000018"  # ONS code of Leicestershire, the synthetic county's local authority (LCC)
YEAR = 2026  # the 2025-26 return: the demo county's fullest year of care and missing episodes

# The validator's column lists (csc-validator-be-903 0.1.17, lac_validator/config.py), copied here so
# that a change on either side fails a test.
VALIDATOR_COLUMNS = {
    "Header": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "Episodes": [
        "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
        "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
    ],
    "Missing": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
}  # fmt: skip

# Every validator rule that reads the Missing table (`lac_validator.rules.lac2025_26.registry`,
# rules whose `tables` include Missing or Missing_last). None may raise an error on the export.
MISSING_RULES = {
    "564", "565", "566", "567", "570", "571", "574", "575", "576", "577", "578", "581", "586",
    "1004", "1005", "1006", "INT04", "INT13",
}  # fmt: skip

# Rules 231 and 233 crash inside the package on any CSV return (they read the XML-only columns
# UASC_STATUS and DATE_EPISODE_CEASED); the report lists them under "crashed", not as errors.
#
# Errors the export may carry on the demo county, and why. Each is a value the synthetic 903 files
# (lantern/synthetic/files.py) leave blank or make up, which the importer keeps as it is and the
# export writes back unchanged. The export itself invents nothing.
ALLOWED = {
    "169": "placement postcodes are synthetic, so no local authority can be derived from them",
    "179": "placement location (in/out of area) is derived from the same synthetic postcodes",
    "392b": "home and placement postcodes are synthetic and absent from the ONS lookup",
    "392c": "synthetic postcodes are not real postcodes",
    "218": "the synthetic files carry no Ofsted URN for the placement",
    "225": "the synthetic files carry no reason for a placement change",
    "392d": "the generator sometimes gives a foster placement the child's own home postcode",
    "393": "the synthetic files leave MOTHER blank",
    "607": "the synthetic files leave MOTHER blank (checked again for girls who ceased care in the year)",
    "442": "Lantern does not keep UPN 'UN' codes, and the synthetic files give none for a child without a UPN",
    "146": "the generator still places 16+ children in H5, which the 2025-26 code list dropped",
}


# ------------------------------------------------------------------------------------- the writer


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write(tmp_path: Path, year: int, children, episodes=(), missing=()) -> dict[str, Path]:
    ret = build_return(collection_year=year, children=children, episodes=episodes, missing=missing)
    return write_return(tmp_path, ret)


KAI = Child("LCC1001", "M", dt.date(2011, 3, 27), "WBRI", "A123456789012")


def test_the_files_have_the_validators_columns_names_and_dd_mm_yyyy_dates(tmp_path):
    paths = write(
        tmp_path,
        YEAR,
        [KAI],
        [Episode("LCC1001", dt.date(2025, 5, 1), "S", "C2", "N1", "U4", "PR1", dt.date(2025, 9, 3), "E8")],
        [MissingPeriod("LCC1001", "M", dt.date(2025, 6, 2), dt.date(2025, 6, 4))],
    )
    assert {t: p.name for t, p in paths.items()} == {
        "Header": "903_2025-26_Header.csv",
        "Episodes": "903_2025-26_Episodes.csv",
        "Missing": "903_2025-26_Missing.csv",
    }
    for table, path in paths.items():
        assert read(path)[0] == VALIDATOR_COLUMNS[table] == list(export903.COLUMNS[table])
        assert path.read_bytes().endswith(b"\r\n")
    assert read(paths["Header"])[1] == ["LCC1001", "M", "27/03/2011", "WBRI", "A123456789012", "", ""]
    assert read(paths["Episodes"])[1][:9] == [
        "LCC1001", "01/05/2025", "S", "C2", "N1", "U4", "PR1", "03/09/2025", "E8",
    ]  # fmt: skip
    assert read(paths["Missing"])[1] == ["LCC1001", "27/03/2011", "M", "02/06/2025", "04/06/2025"]


@pytest.mark.parametrize(
    ("year", "codes"),
    [(2024, ["1", "2", ""]), (2025, ["M", "F", "U"]), (2026, ["M", "F", "U"])],
)
def test_sex_is_1_2_up_to_2023_24_and_the_reported_sex_m_f_u_from_2024_25(tmp_path, year, codes):
    children = [Child(f"C{n}", sex, dt.date(2012, 1, 1)) for n, sex in enumerate("MFU")]
    episodes = [Episode(c.child, dt.date(year - 1, 5, 1), "S", "C2", "N1", "U4") for c in children]
    rows = read(write(tmp_path, year, children, episodes)["Header"])[1:]
    assert [r[1] for r in rows] == codes


def test_the_year_keeps_what_overlaps_it_and_blanks_ends_after_31_march(tmp_path):
    children = [KAI, Child("GONE", "F", dt.date(2010, 1, 1)), Child("LATER", "F", dt.date(2010, 1, 1))]
    episodes = [
        Episode("LCC1001", dt.date(2024, 12, 1), "S", "C2", "N1", "U4", dec=dt.date(2026, 5, 1), rec="E8"),
        Episode("GONE", dt.date(2023, 1, 1), "S", "C2", "N1", "U4", dec=dt.date(2025, 3, 31), rec="E8"),
        Episode("LATER", dt.date(2026, 4, 1), "S", "C2", "N1", "U4"),
    ]
    missing = [
        MissingPeriod("LCC1001", "M", dt.date(2025, 3, 30), dt.date(2025, 4, 2)),  # ends in the year
        MissingPeriod("LCC1001", "A", dt.date(2026, 3, 30), dt.date(2026, 4, 2)),  # open at 31 March
        MissingPeriod("LCC1001", "A", dt.date(2025, 1, 1), dt.date(2025, 1, 2)),  # last year only
        MissingPeriod("GONE", "M", dt.date(2025, 1, 1), None),  # no episode in the year: no Header
    ]
    paths = write(tmp_path, YEAR, children, episodes, missing)
    assert [r[0] for r in read(paths["Header"])[1:]] == ["LCC1001"]
    assert [(r[1], r[7], r[8]) for r in read(paths["Episodes"])[1:]] == [("01/12/2024", "", "")]
    assert [r[2:] for r in read(paths["Missing"])[1:]] == [
        ["M", "30/03/2025", "02/04/2025"],
        ["A", "30/03/2026", ""],
    ]


@pytest.mark.parametrize("formula", ['=HYPERLINK("x")', "+44", "-1+2", "@SUM(A1)", "\tcmd", "\rcmd", "  =1"])
def test_a_cell_that_a_spreadsheet_would_execute_is_prefixed_with_an_apostrophe(tmp_path, formula):
    child = Child(formula, "F", dt.date(2012, 2, 2), ethnic=formula, upn=formula)
    episode = Episode(formula, dt.date(2025, 5, 1), "S", "C2", "N1", "U4", urn=formula, pl_post=formula)
    paths = write(tmp_path, YEAR, [child], [episode], [MissingPeriod(formula, formula, dt.date(2025, 6, 1))])
    header, episode_row, missing_row = (read(paths[t])[1] for t in ("Header", "Episodes", "Missing"))
    escaped = "'" + formula
    assert [header[0], header[3], header[4]] == [escaped] * 3
    assert [episode_row[0], episode_row[11], episode_row[12]] == [escaped] * 3
    assert [missing_row[0], missing_row[2]] == [escaped] * 2
    assert header[2] == "02/02/2012"  # dates are never escaped: they are written by Lantern


def test_episodes_from_a_case_system_stream_end_when_the_next_starts_or_care_ends():
    stream = [
        {"legal_status": "C2", "placement": "U4", "reason_new_episode": "S", "decom": "2025-04-13", "dec": None},
        {"legal_status": "C2", "placement": "K2", "reason_new_episode": "P", "decom": "2025-06-26", "dec": None},
        {"legal_status": "C2", "placement": "U4", "reason_new_episode": "", "decom": "2025-04-13", "dec": "2026-02-17"},
        {"legal_status": "V2", "placement": "U1", "reason_new_episode": "S", "decom": "2026-03-01", "dec": None},
    ]  # fmt: skip
    episodes = export903.episodes_from_items("C1", stream)
    assert [(e.decom.isoformat(), e.rne, e.place, e.dec and e.dec.isoformat(), e.rec) for e in episodes] == [
        ("2025-04-13", "S", "U4", "2025-06-26", "X1"),
        ("2025-06-26", "P", "K2", "2026-02-17", ""),  # the reason care ended is not held: blank
        ("2026-03-01", "S", "U1", None, ""),
    ]
    assert episodes[0].cin == "" and episodes[0].ls == "C2"


def test_episodes_from_imported_903_rows_skip_the_ceased_copy_and_keep_the_fullest_duplicate():
    row = {
        "legal_status": "C2", "placement": "U4", "reason_new_episode": "S", "decom": "2025-05-01",
        "dec": "2025-09-03", "reason_episode_ceased": "E8", "category_of_need": "N1",
        "placement_provider": "PR1", "reason_place_change": None, "home_postcode": "LE11 3AB",
        "placement_postcode": "LE1", "urn": None,
    }  # fmt: skip
    sparse = {
        "legal_status": "C2",
        "placement": "U4",
        "reason_new_episode": "S",
        "decom": "2025-05-01",
        "dec": None,
    }
    ceased = {**row, "ceased": True}
    (episode,) = export903.episodes_from_items("C1", [sparse, row, ceased])
    assert episode == Episode(
        "C1",
        dt.date(2025, 5, 1),
        "S",
        "C2",
        "N1",
        "U4",
        "PR1",
        dt.date(2025, 9, 3),
        "E8",
        "",
        "LE11 3AB",
        "LE1",
    )


def test_missing_periods_are_one_per_start_preferring_one_with_an_end():
    periods = export903.missing_from_items(
        "C1",
        [
            {"missing_type": "M", "mis_start": "2025-06-02", "mis_end": None},
            {"missing_type": "M", "mis_start": "2025-06-02", "mis_end": "2025-06-04"},
            {"missing_type": "A", "mis_start": "2025-05-01", "mis_end": "2025-05-01"},
        ],
    )
    assert periods == [
        MissingPeriod("C1", "A", dt.date(2025, 5, 1), dt.date(2025, 5, 1)),
        MissingPeriod("C1", "M", dt.date(2025, 6, 2), dt.date(2025, 6, 4)),
    ]


def test_rows_of_a_child_not_given_are_refused():
    with pytest.raises(ValueError, match="NOBODY"):
        build_return(
            collection_year=YEAR,
            children=[KAI],
            episodes=[Episode("NOBODY", dt.date(2025, 5, 1), "S", "C2", "N1", "U4")],
            missing=[],
        )


# ------------------------------------------------------------------ end to end, with the validator


@pytest.fixture(scope="module")
def county() -> gen.County:
    """The demo county (overrides the tiny one in conftest): the tiny county has one looked-after
    child and no missing episodes, which would leave the Missing rules nothing to check."""
    return gen.generate("demo", seed=2019, as_of=AS_OF)


@pytest.fixture(scope="module")
def returns_in(county: gen.County, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The county's 903 returns as the authority sends them, without injected defects."""
    root = tmp_path_factory.mktemp("returns_in")
    write_county_files(county, root, defect_rate=0.0)
    return root / "ssda903"


def validate(directory: Path, year: int, *, prev: Path | None = None) -> dict:
    """Run the DfE validator on an exported return (and last year's, for rule 576). It fails, never
    skips, if the validator's virtualenv cannot be built."""
    names = export903.file_names(year)
    command = [
        str(SCRIPT),
        "check",
        "--year",
        str(year),
        "--la",
        LA,
        "--json",
        str(directory / "report.json"),
    ]
    if prev is not None:
        for name in export903.file_names(year - 1).values():
            command += ["--prev", str(prev / name)]
    command += [str(directory / names[t]) for t in export903.TABLES]
    # A first run builds the virtualenv (about 15 s with a warm pip cache).
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 1), f"the validator did not run ({done.returncode}):\n{done.stderr[-3000:]}"
    return json.loads((directory / "report.json").read_text(encoding="utf-8"))


def import_returns(officers, directory: Path) -> None:
    """Every year's return in year order, each Header, then Episodes, then Missing (as an authority
    loads them)."""
    viewer = officers.viewer("LCC-CFS")
    order = {table: n for n, table in enumerate(export903.TABLES)}
    for path in sorted(
        directory.glob("903_*.csv"), key=lambda p: (p.stem.split("_")[1], order[p.stem.split("_")[2]])
    ):
        batch = import_batch_validate(import_batch_create(viewer=viewer, format_code="ssda903", path=path))
        assert batch.status == ImportBatch.Status.VALIDATED, (path.name, batch.error)
        assert batch.counts["rejected"] == 0, path.name
        import_batch_commit(batch, viewer=viewer)


def test_the_imported_returns_export_back_and_the_dfe_validator_accepts_the_missing_table(
    officers, returns_in, tmp_path
):
    import_returns(officers, returns_in)
    viewer = officers.viewer("LCC-CFS")
    last = ssda903_export(viewer=viewer, collection_year=YEAR - 1, out_dir=tmp_path / "last")
    result = ssda903_export(viewer=viewer, collection_year=YEAR, out_dir=tmp_path / "this")
    assert result.counts["Missing"] >= 3 and result.counts["Header"] >= 5
    assert last.counts["Missing"] >= 1

    # What went in comes back out: the same rows, with SEX in the year's reported-sex codes.
    names = export903.file_names(YEAR)
    sent = {t: read(returns_in / names[t]) for t in export903.TABLES}
    exported = {t: read(result.paths[t]) for t in export903.TABLES}
    assert exported["Missing"] == sent["Missing"]
    assert exported["Episodes"] == sent["Episodes"]
    recoded = [row[:1] + [{"1": "M", "2": "F"}[row[1]]] + row[2:] for row in sent["Header"][1:]]
    assert exported["Header"] == sent["Header"][:1] + recoded

    report = validate(tmp_path / "this", YEAR, prev=tmp_path / "last")
    assert report["package"] == "0.1.17" and report["ruleset"] == "lac2025_26"
    assert report["tables"] == {**result.counts, **{f"{t}_last": n for t, n in last.counts.items()}}
    # Every Missing rule really ran (none skipped for want of a table, none crashed).
    assert set(report["ran"]) >= MISSING_RULES, MISSING_RULES - set(report["ran"])
    missing_errors = [e for e in report["errors"] if e["rule"] in MISSING_RULES]
    assert missing_errors == []
    unexplained = [e for e in report["errors"] if e["rule"] not in ALLOWED]
    assert unexplained == [], unexplained[:10]


def test_the_command_exports_as_the_system_and_audits_every_child(officers, returns_in, tmp_path):
    import_returns(officers, returns_in)
    call_command("export_903", "--year", str(YEAR), "--agency", "LCC-CFS", "--out", str(tmp_path))
    event = AuditEvent.objects.filter(code=AuditCode.EXPORT_903).get()
    assert event.actor is None and event.actor_username == "system:export_903"
    children = [row[0] for row in read(tmp_path / export903.file_names(YEAR)["Header"])[1:]]
    persons = set(
        SourceRecord.objects.filter(agency__code="LCC-CFS", la_child_id__in=children).values_list(
            "person_id", flat=True
        )
    )
    assert {s.person_id for s in event.subjects.all()} == persons and len(persons) == len(children)
    assert event.details["rows"]["Header"] == len(children)

    with pytest.raises(CommandError, match="holds no active role"):
        call_command(
            "export_903",
            "--year",
            "2026",
            "--agency",
            "LEICS-POLICE",
            "--out",
            str(tmp_path / "x"),
            "--as",
            "officer-lcc-cfs",
        )
    with pytest.raises(CommandError, match="children's social care"):
        call_command("export_903", "--year", "2026", "--agency", "LEICS-POLICE", "--out", str(tmp_path / "y"))
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


# --------------------------------------------------------------------------------------- access


def lac_items(partnership) -> None:
    """Kai is looked after by CSC, who also recorded a missing period; the hospital holds a missing
    period of its own and shares it with every agency under an agreement."""
    agreement_save(
        name="903 items",
        reference="ISA-903",
        parties=list(partnership.agencies.values()),
        item_types=["lac_episode", "missing_episode_903"],
        purposes=["safeguarding"],
        starts_on=dt.date(2020, 1, 1),
        system_actor="test",
    )
    episode = {
        "legal_status": "C2",
        "placement": "U4",
        "reason_new_episode": "S",
        "decom": "2025-05-01",
        "dec": None,
    }
    items = [
        ItemIn(("CSC", "MOSAIC", "C1"), "lac_episode", "CSC", "safeguarding", at("2025-05-01T00:00"), "Became looked after", details=episode),
        ItemIn(("CSC", "MOSAIC", "C1"), "missing_episode_903", "CSC", "safeguarding", at("2025-06-02T00:00"), "Missing",
               details={"missing_type": "M", "mis_start": "2025-06-02", "mis_end": "2025-06-03"}),
        ItemIn(("HOSP", "ED", "H1"), "missing_episode_903", "HOSP", "safeguarding", at("2025-07-09T00:00"), "Missing",
               details={"missing_type": "A", "mis_start": "2025-07-09", "mis_end": "2025-07-10"}),
    ]  # fmt: skip
    timeline_items_collect(items=items, source_reference="test", system_actor="test")


def test_a_team_manager_exports_only_their_own_agencys_items_and_is_audited(partnership, tmp_path):
    lac_items(partnership)
    manager = partnership.viewer("manager")
    result = ssda903_export(viewer=manager, collection_year=YEAR, out_dir=tmp_path)
    missing = read(result.paths["Missing"])
    assert missing[1:] == [["LCC1001", "27/03/2011", "M", "02/06/2025", "03/06/2025"]]  # not the hospital's
    assert read(result.paths["Header"])[1] == ["LCC1001", "M", "27/03/2011", "", "A123456789012", "", ""]
    event = AuditEvent.objects.get(code=AuditCode.EXPORT_903)
    assert event.actor_username == "manager" and event.role == "team_manager" and event.agency == "CSC"
    assert [s.person_id for s in event.subjects.all()] == [partnership.kai.pk] == result.person_ids
    assert event.object_id == f"CSC:{YEAR}"


def data_officer(partnership, agency_code: str) -> Viewer:
    team = Team.objects.create(agency=partnership.agencies[agency_code], name="data quality")
    user_create(
        username=f"data-{agency_code.lower()}",
        password=PASSWORD,
        display_name="data officer",
        memberships=[(team, "data_officer")],
        system_actor="test",
    )
    return partnership.viewer(f"data-{agency_code.lower()}")


@pytest.mark.parametrize(
    "who",
    ["hubsw", "frontdoor", "dpo", "sysadmin", "police data officer", "system for the police"],
)
def test_anyone_else_is_refused_and_nothing_is_written(partnership, tmp_path, who):
    lac_items(partnership)
    out = tmp_path / "out"
    audit_rows = AuditEvent.objects.count()
    with pytest.raises(AccessDenied):
        if who == "system for the police":
            ssda903_export(
                viewer=None,
                collection_year=YEAR,
                out_dir=out,
                agency=partnership.agencies["POL"],
                system_actor="test",
            )
        else:
            viewer = (
                data_officer(partnership, "POL") if who == "police data officer" else partnership.viewer(who)
            )
            audit_rows = AuditEvent.objects.count()
            ssda903_export(viewer=viewer, collection_year=YEAR, out_dir=out)
    assert not out.exists()
    assert AuditEvent.objects.count() == audit_rows
    assert not AuditEvent.objects.filter(code=AuditCode.EXPORT_903).exists()


def test_a_csc_data_officer_may_export(partnership, tmp_path):
    lac_items(partnership)
    result = ssda903_export(viewer=data_officer(partnership, "CSC"), collection_year=YEAR, out_dir=tmp_path)
    assert result.counts == {"Header": 1, "Episodes": 1, "Missing": 1}
