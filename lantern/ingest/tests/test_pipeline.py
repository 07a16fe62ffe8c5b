"""The import pipeline end to end on a synthetic county's files: every format round-trips through
create -> validate (preview + quarantine) -> commit; re-importing changes nothing; a corrected file
changes exactly what it corrects; bad files are refused whole; a crash mid-commit leaves nothing.
The main journeys run twice: with the real chunk sizes, and with chunks of a few rows, so the
county's small files are staged, compared and written in many chunks, as a big file is."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from lantern.audit.models import AuditEvent
from lantern.ingest.models import ImportBatch, QuarantinedRow
from lantern.ingest.services import (
    ImportFailed,
    import_batch_commit,
    import_batch_create,
    import_batch_validate,
)
from lantern.people.models import Person, SourceRecord, TimelineItem
from lantern.synthetic.pipeline import ordered as ordered_files
from lantern.synthetic.pipeline import uploader


def ordered(files) -> list[str]:
    return ordered_files(files.manifest)


def check(files, officers, rel: str, path: Path | None = None) -> ImportBatch:
    info = files.info(rel)
    options = {}
    if info["format"] == "generic":
        options = {"mapping_json": files.mapping_json, "source_system": "MOSAIC"}
    batch = import_batch_create(
        viewer=officers.viewer(uploader(rel)),
        format_code=info["format"],
        path=path or files.path(rel),
        **options,
    )
    return import_batch_validate(batch)


def rejected_rows(batch: ImportBatch) -> set[int]:
    return set(batch.quarantined_rows.values_list("row", flat=True))


def changed(batch: ImportBatch) -> dict[str, int]:
    c = batch.counts
    return {
        "records_new": c["records"]["new"],
        "records_updated": c["records"]["updated"],
        "events_new": c["events"]["new"],
        "events_updated": c["events"]["updated"],
    }


NOTHING = {"records_new": 0, "records_updated": 0, "events_new": 0, "events_updated": 0}


@pytest.fixture(params=["chunks of 20,000", "chunks of a few rows"])
def chunks(request, monkeypatch) -> str:
    if request.param == "chunks of a few rows":
        from lantern.ingest import services, staging

        monkeypatch.setattr(staging, "_FLUSH", 3)  # rows folded in memory before they go to disk
        monkeypatch.setattr(services, "_PLAN_CHUNK", 7)  # records or events compared/written at a time
    return request.param


def test_every_format_round_trips_and_reimporting_changes_nothing(county_files, officers, chunks):
    events_expected = 0
    formats = set()
    for rel in ordered(county_files):
        batch = check(county_files, officers, rel)
        assert batch.status == ImportBatch.Status.VALIDATED, (rel, batch.error)
        info = county_files.info(rel)
        formats.add(info["format"])
        assert batch.counts["rows"] == info["rows"], rel
        assert rejected_rows(batch) == county_files.rejects(rel), rel
        assert batch.counts["rejected"] == len(county_files.rejects(rel))
        if batch.counts["rejected"]:
            report = batch.quarantine_path.read_text(encoding="utf-8")
            assert report.startswith("file,table,row,field,value,expected,rule,message")
        before = TimelineItem.objects.count()
        batch = import_batch_commit(batch, viewer=officers.viewer(uploader(rel)))
        assert batch.status == ImportBatch.Status.COMMITTED
        assert TimelineItem.objects.count() - before == batch.counts["events"]["new"]
        events_expected += batch.counts["events"]["new"]

        again = check(county_files, officers, rel)
        assert changed(again) == NOTHING, (rel, again.counts, again.changes[:3])
        assert rejected_rows(again) == county_files.rejects(rel)
        assert import_batch_commit(again, viewer=officers.viewer(uploader(rel))).status == "committed"

    assert formats == {"ssda903", "cin_census", "school_exclusions", "police", "health", "generic"}
    imported = TimelineItem.objects.filter(source_reference__startswith="import ")
    assert imported.count() == events_expected == TimelineItem.objects.count() > 100
    assert not imported.filter(event_key__isnull=True).exists()

    intelligence = imported.filter(item_type="intelligence")
    assert intelligence.exists()
    assert set(intelligence.values_list("purpose", flat=True)) == {"law_enforcement"}
    assert set(intelligence.values_list("handling_code", flat=True)) <= {1, 2, 3, 4, 5}
    assert set(intelligence.values_list("controller__code", flat=True)) == {"LEICS-POLICE"}
    assert set(imported.filter(item_type="arrest").values_list("purpose", flat=True)) == {"law_enforcement"}
    csc = imported.filter(controller__code="LCC-CFS")
    assert csc.filter(item_type="csc_referral").exists() and csc.filter(item_type="csc_contact").exists()
    assert set(csc.values_list("purpose", flat=True)) == {"safeguarding"}
    assert not csc.filter(handling_code__isnull=False).exists()
    assert set(imported.filter(item_type="ae_attendance").values_list("controller__code", flat=True)) == {
        "UHL-NHS"
    }

    # Every stored row says where it came from: the batch, the file, the table and the row.
    record = SourceRecord.objects.filter(agency__code="LEICS-POLICE").first()
    assert record.source_reference.startswith("import ") and "#" in record.source_reference
    assert ".csv#" in imported.filter(item_type="arrest").first().source_reference


def test_statutory_returns_stand_alone_without_names_or_attach_to_the_case_record(
    county_files, officers, chunks
):
    cin = "cin/cin_census.xml"
    import_batch_commit(check(county_files, officers, cin), viewer=officers.viewer("LCC-CFS"))
    # No case record yet: each child gets a record without names (never a placeholder).
    nameless = SourceRecord.objects.filter(agency__code="LCC-CFS", source_system="CIN-CENSUS")
    assert nameless.count() == county_files.info(cin)["rows"] - len(county_files.rejects(cin))
    assert set(nameless.values_list("given_name", "family_name")) == {("", "")}
    assert not nameless.filter(la_child_id="").exists()
    assert set(Person.objects.filter(source_records__in=nameless).values_list("display_name", flat=True)) == {
        ""
    }
    referral = TimelineItem.objects.filter(item_type="csc_referral").select_related("source_record").first()
    assert referral.source_record.source_system == "CIN-CENSUS"

    # The case system's records arrive and link to the same people through the LA child id.
    contacts = check(county_files, officers, "generic/csc_contacts.csv")
    import_batch_commit(contacts, viewer=officers.viewer("LCC-CFS"))
    case = SourceRecord.objects.get(source_system="MOSAIC", la_child_id=referral.source_record.la_child_id)
    assert case.person_id == referral.person_id
    case.person.refresh_from_db()
    assert case.person.display_name == f"{case.given_name} {case.family_name}"

    # A 903 return now attaches to the named case record: no third record for the child.
    header = next(
        r for r in ordered(county_files) if r.endswith("Header.csv") and county_files.info(r)["rows"]
    )
    returned = check(county_files, officers, header)
    assert returned.counts["records"] == {"new": 0, "updated": 0, "unchanged": 0, "attached": 1}
    import_batch_commit(returned, viewer=officers.viewer("LCC-CFS"))
    assert not SourceRecord.objects.filter(source_system="SSDA903").exists()
    episodes = check(county_files, officers, header.replace("Header", "Episodes"))
    import_batch_commit(episodes, viewer=officers.viewer("LCC-CFS"))
    episode = TimelineItem.objects.filter(item_type="lac_episode").select_related("source_record").first()
    assert episode.source_record.source_system == "MOSAIC" and episode.source_record.family_name
    # Re-importing the census keeps its own records (found at their key): nothing moves.
    assert changed(check(county_files, officers, cin)) == NOTHING


def _rewrite(src: Path, dst: Path, change) -> None:
    """Copy a CSV, letting `change(row_number, row_dict)` edit rows."""
    text = src.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\r\n")
    writer.writeheader()
    for number, row in enumerate(reader, start=1):
        change(number, row)
        writer.writerow(row)
    dst.write_text(out.getvalue(), encoding="utf-8")


MISSING = "police/leics-police_missing_reports.csv"


def _single_nominal_row(files) -> int:
    rows = list(csv.DictReader(io.StringIO(files.path(MISSING).read_text(encoding="utf-8-sig"))))
    rejects = files.rejects(MISSING)
    nominals = [r["nominal_id"] for r in rows]
    return next(
        n for n, r in enumerate(rows, start=1) if nominals.count(r["nominal_id"]) == 1 and n not in rejects
    )


def test_a_corrected_event_updates_exactly_that_event(county_files, officers, tmp_path, chunks):
    batch = check(county_files, officers, MISSING)
    import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))
    target = _single_nominal_row(county_files)

    def fix(number, row):
        if number == target:
            row["found_location"] = "found by police at a railway station"

    corrected = tmp_path / "leics-police_missing_reports.csv"
    _rewrite(county_files.path(MISSING), corrected, fix)
    again = check(county_files, officers, MISSING, corrected)
    assert changed(again) == {**NOTHING, "events_updated": 1}
    [change] = again.changes
    assert change["kind"] == "event" and change["row"] == target
    assert {f["field"] for f in change["fields"]} == {"summary", "details.found_location"}
    items_before = TimelineItem.objects.count()
    import_batch_commit(again, viewer=officers.viewer("LEICS-POLICE"))
    assert TimelineItem.objects.count() == items_before
    item = TimelineItem.objects.get(event_key=change["key"])
    assert item.details["found_location"] == "found by police at a railway station"
    assert item.source_reference.startswith(f"import {again.pk} ")
    assert AuditEvent.objects.filter(code=504, object_id=f"import {again.pk}").count() == 1
    assert changed(check(county_files, officers, MISSING, corrected)) == NOTHING


def test_a_date_of_birth_contradicting_the_stored_record_is_shown_as_updated(
    county_files, officers, tmp_path
):
    """Decision: a file is the agency's newer truth about its own record, so a changed DOB for the same
    key is an update, listed field by field in the preview for the practitioner to see before committing."""
    batch = check(county_files, officers, MISSING)
    import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))
    target = _single_nominal_row(county_files)
    nominal = {}

    def fix(number, row):
        if number == target:
            nominal["id"], nominal["old"] = row["nominal_id"], row["dob"]
            row["dob"] = "01/01/2010"

    corrected = tmp_path / "leics-police_missing_reports.csv"
    _rewrite(county_files.path(MISSING), corrected, fix)
    again = check(county_files, officers, MISSING, corrected)
    assert changed(again) == {**NOTHING, "records_updated": 1}
    [change] = again.changes
    assert change["kind"] == "record" and change["key"] == nominal["id"]
    assert change["fields"] == [{"field": "dob", "stored": nominal["old"] or "(blank)", "file": "01/01/2010"}]
    record = SourceRecord.objects.get(agency__code="LEICS-POLICE", source_key=nominal["id"])
    assert record.dob.isoformat() != "2010-01-01"  # nothing written by the preview
    import_batch_commit(again, viewer=officers.viewer("LEICS-POLICE"))
    record.refresh_from_db()
    assert record.dob.isoformat() == "2010-01-01"
    assert AuditEvent.objects.filter(code=503, object_id=f"import {again.pk}").count() == 1


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&lol2;</LAchildID></ChildIdentifiers></Child></Children></Message>
"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Message><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID></ChildIdentifiers></Child></Children></Message>
"""


def _bad_files(files) -> list[tuple[str, str, bytes, str]]:
    police = files.path(MISSING).read_text(encoding="utf-8-sig")
    header, *rows = police.splitlines()
    columns = header.split(",")
    without_report_id = [
        ",".join(c for i, c in enumerate(line.split(",")) if i != columns.index("report_id"))
        for line in [header, *rows[:3]]
    ]
    return [
        ("empty file", "police", b"", "empty"),
        ("only a byte-order mark", "health", b"\xef\xbb\xbf\r\n", "empty"),
        ("semicolons", "police", police.replace(",", ";").encode(), "semicolon"),
        ("missing column", "police", "\r\n".join(without_report_id).encode(), "report_id"),
        ("billion laughs", "cin_census", BILLION_LAUGHS, "document type declaration"),
        ("external entity", "cin_census", XXE, "document type declaration"),
        ("spreadsheet", "health", b"PK\x03\x04" + b"\x00" * 100, "spreadsheet"),
    ]


def test_bad_files_are_refused_whole_with_a_clear_message_and_nothing_written(
    county_files, officers, tmp_path
):
    def counts():
        return SourceRecord.objects.count(), TimelineItem.objects.count(), QuarantinedRow.objects.count()

    before = counts()
    for label, fmt, content, words in _bad_files(county_files):
        path = tmp_path / f"{label.replace(' ', '_')}.{'xml' if fmt == 'cin_census' else 'csv'}"
        path.write_bytes(content)
        agency = "LCC-CFS" if fmt == "cin_census" else "UHL-NHS" if fmt == "health" else "LEICS-POLICE"
        batch = import_batch_create(viewer=officers.viewer(agency), format_code=fmt, path=path)
        batch = import_batch_validate(batch)
        assert batch.status == ImportBatch.Status.REJECTED_FILE, (label, batch.status, batch.error)
        assert words in batch.error.lower(), (label, batch.error)
        assert path.name in batch.error
        with pytest.raises(Exception, match="ready to commit"):
            import_batch_commit(batch, viewer=officers.viewer(agency))
        audit = AuditEvent.objects.filter(code=506, object_id=str(batch.pk)).get()
        assert audit.details["outcome"] == "rejected_file"
    assert counts() == before


def test_a_crash_mid_commit_leaves_nothing_and_the_batch_can_be_committed_again(
    county_files, officers, monkeypatch, chunks
):
    from lantern.ingest import services

    rel = "police/leics-police_arrests.csv"
    batch = check(county_files, officers, rel)
    assert batch.counts["records"]["new"] and batch.counts["events"]["new"]

    def counts():
        return tuple(m.objects.count() for m in (SourceRecord, TimelineItem, AuditEvent, Person))

    before = counts()
    real = services.timeline_items_collect

    def crash_half_way(*, items, **kwargs):
        real(items=items[: len(items) // 2], **kwargs)  # some rows written ...
        raise RuntimeError("worker killed")  # ... then the process dies

    monkeypatch.setattr(services, "timeline_items_collect", crash_half_way)
    with pytest.raises(ImportFailed, match="nothing was written"):
        import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))
    assert counts() == before
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED and "RuntimeError" in batch.error

    monkeypatch.setattr(services, "timeline_items_collect", real)
    batch = import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))
    assert batch.status == ImportBatch.Status.COMMITTED and batch.error == ""
    assert TimelineItem.objects.count() == before[1] + batch.counts["events"]["new"]
    keys = list(TimelineItem.objects.values_list("controller_id", "item_type", "event_key"))
    assert len(keys) == len(set(keys))
    # Committing again is a no-op, and a killed worker's "committing" batch can be re-run.
    assert import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE")).status == "committed"
    assert TimelineItem.objects.count() == before[1] + batch.counts["events"]["new"]


def test_the_last_row_of_a_record_wins_even_many_chunks_apart(county_files, officers, tmp_path, chunks):
    rows = list(csv.DictReader(io.StringIO(county_files.path(MISSING).read_text(encoding="utf-8-sig"))))
    rejects = county_files.rejects(MISSING)
    by_nominal: dict[str, list[int]] = {}
    for number, row in enumerate(rows, start=1):
        by_nominal.setdefault(row["nominal_id"], []).append(number)
    nominal, numbers = next(
        (n, ns)
        for n, ns in by_nominal.items()
        if len(ns) >= 2 and not set(ns) & rejects and ns[-1] - ns[0] > 10
    )
    last = numbers[-1]

    def fix(number, row):
        if row["nominal_id"] == nominal:
            row["dob"] = "01/01/2010" if number == last else "02/02/2009"

    changed_file = tmp_path / "leics-police_missing_reports.csv"
    _rewrite(county_files.path(MISSING), changed_file, fix)
    batch = check(county_files, officers, MISSING, changed_file)
    assert batch.counts["rejected"] == len(rejects)
    accepted = [row for number, row in enumerate(rows, start=1) if number not in rejects]
    assert batch.counts["records"]["new"] == len({row["nominal_id"] for row in accepted})
    import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))
    record = SourceRecord.objects.get(agency__code="LEICS-POLICE", source_key=nominal)
    assert record.dob.isoformat() == "2010-01-01"
    assert record.source_reference.endswith(f"#MissingReports:{last}")
    assert not batch.staging_path.exists()  # its rows are in Lantern now


def test_the_commit_writes_from_the_checks_staging_file_without_reading_the_upload_again(
    county_files, officers, monkeypatch
):
    from lantern.ingest import services

    batch = check(county_files, officers, MISSING)
    assert batch.staging_path.is_file()

    def no_second_read(*args, **kwargs):
        raise AssertionError("the commit parsed the upload again")

    monkeypatch.setattr(services, "_results", no_second_read)
    batch = import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))
    assert batch.status == ImportBatch.Status.COMMITTED
    assert (
        TimelineItem.objects.filter(source_reference__startswith=f"import {batch.pk} ").count()
        == (batch.counts["events"]["new"])
    )
    assert not batch.staging_path.exists()


def test_without_its_staging_file_the_commit_reads_the_upload_again(county_files, officers):
    batch = check(county_files, officers, MISSING)
    batch.staging_path.unlink()
    committed = import_batch_commit(batch, viewer=officers.viewer("LEICS-POLICE"))
    assert committed.counts == batch.counts


def test_a_903_episodes_file_checks_against_children_already_committed(county_files, officers):
    header = next(
        r for r in ordered(county_files) if r.endswith("Header.csv") and county_files.info(r)["rows"]
    )
    episodes = header.replace("Header", "Episodes")
    early = check(county_files, officers, episodes)  # before the Header is committed: refused rows
    assert early.status == "validated" and early.counts["rejected"] == early.counts["rows"] > 0
    assert "Header" in early.quarantined_rows.first().errors[0]["expected"]
    import_batch_commit(check(county_files, officers, header), viewer=officers.viewer("LCC-CFS"))
    later = check(county_files, officers, episodes)
    assert later.counts["rejected"] == 0 and later.counts["events"]["new"] >= 1
    assert later.options["collection_year"] == int(header.split("_")[1][:4]) + 1


def test_a_commit_hands_its_new_records_to_identity_resolution_once_committed(
    county_files, officers, monkeypatch, django_capture_on_commit_callbacks
):
    from types import SimpleNamespace

    queued = []  # the task queue is a process boundary: record what would be enqueued
    fake_task = SimpleNamespace(enqueue=lambda ids, membership: queued.append((ids, membership)))
    monkeypatch.setattr("lantern.ingest.services.link_new_records_task", fake_task)
    rel = next(r for r in ordered(county_files) if r.startswith("health/"))
    batch = check(county_files, officers, rel)
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_commit(batch, viewer=officers.viewer(uploader(rel)))
    assert len(queued) == 1
    ids, _membership = queued[0]
    assert set(ids) == set(
        SourceRecord.objects.filter(source_reference__startswith=f"import {batch.pk}").values_list(
            "pk", flat=True
        )
    )
    assert ids
