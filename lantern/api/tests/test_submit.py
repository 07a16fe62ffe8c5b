"""POST /api/v1/batches: the rows go through the same pipeline as an uploaded file (same checks,
same quarantine shape, rejected rows do not stop valid ones), scoped to the token's feeds, and each
submission is audited as a collection with the service user as the actor."""

from __future__ import annotations

from lantern.api.tests.conftest import ed_row, health_batch, missing_row, submit
from lantern.audit.models import AuditEvent
from lantern.ingest.models import ImportBatch
from lantern.people.models import SourceRecord, TimelineItem


def test_a_batch_is_checked_and_committed_and_bad_rows_do_not_stop_good_ones(client, tokens):
    body = health_batch(
        ed_row(1),
        ed_row(2, dob="31/02/2010", sex="X"),  # two errors in one row
        ed_row(3, nhs_number="943 476 5918"),  # bad check digit
        ed_row(4, forename="=HYPERLINK(1)"),  # formula in a name
    )
    response = submit(client, tokens.hospital, body)

    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["status"] == "committed"
    assert response["Location"] == f"/api/v1/batches/{result['batch_id']}"
    assert result["counts"]["rows"] == 4 and result["counts"]["accepted"] == 1
    assert result["counts"]["rejected"] == 3
    assert result["counts"]["records"]["new"] == 1 and result["counts"]["events"]["new"] == 1
    errors = {(e["row"], e["field"]) for e in result["errors"]}
    assert errors == {(2, "dob"), (2, "sex"), (3, "nhs_number"), (4, "forename")}
    dob = next(e for e in result["errors"] if e["field"] == "dob")
    assert dob == {
        "row": 2,
        "field": "dob",
        "value": "31/02/2010",
        "expected": "a date as dd/mm/yyyy that exists in the calendar",
        "rule": None,
    }
    assert next(e for e in result["errors"] if e["row"] == 4)["rule"] == "LAN-FORMULA"

    record = SourceRecord.objects.get(source_key="RWE00000001")
    assert record.agency.code == "HOSP" and record.source_system == "ED-SYSTEM"
    assert record.source_reference.startswith(f"import {result['batch_id']} api-health.csv#Attendances:1")
    item = TimelineItem.objects.get(event_key="ED:ED00000001")
    assert item.controller.code == "HOSP" and item.item_type == "ae_attendance"
    batch = ImportBatch.objects.get(pk=result["batch_id"])
    assert batch.created_by == tokens.hospital.token.membership.user
    assert batch.quarantined_rows.count() == 3


def test_the_same_rows_again_change_nothing(client, tokens):
    submit(client, tokens.hospital, health_batch(ed_row(1), ed_row(2)))
    again = submit(client, tokens.hospital, health_batch(ed_row(1), ed_row(2))).json()
    assert again["counts"]["records"] == {"new": 0, "updated": 0, "unchanged": 2, "attached": 0}
    assert again["counts"]["events"] == {"new": 0, "updated": 0, "unchanged": 2}
    corrected = submit(client, tokens.hospital, health_batch(ed_row(1, outcome="discharged"))).json()
    assert corrected["counts"]["events"]["updated"] == 1
    assert TimelineItem.objects.filter(event_key__startswith="ED:").count() == 2


def test_column_names_follow_the_csv_headers_and_numbers_and_nulls_are_cells(client, tokens):
    row = {k.upper(): v for k, v in ed_row(1).items()}
    row["NHS_NUMBER"] = None
    row["TOWN"] = 12
    response = submit(client, tokens.hospital, health_batch(row))
    assert response.status_code == 201 and response.json()["counts"]["accepted"] == 1
    assert SourceRecord.objects.get(source_key="RWE00000001").nhs_number == ""


def test_a_format_outside_the_tokens_feeds_is_forbidden_and_nothing_is_stored(client, tokens):
    batches = ImportBatch.objects.count()
    response = submit(
        client, tokens.hospital, {"format": "police", "table": "MissingReports", "rows": [missing_row(1)]}
    )
    assert response.status_code == 403
    assert "health" in response.json()["detail"]
    assert ImportBatch.objects.count() == batches and not SourceRecord.objects.filter(
        source_key="NOM00000001"
    )
    refused = AuditEvent.objects.filter(code=420).latest("seq")
    assert refused.actor_username == tokens.hospital.token.membership.user.username
    assert refused.details["status"] == 403 and refused.details["reason"] == "feed type not allowed"


def test_unknown_and_unoffered_formats_are_422(client, tokens):
    unknown = submit(client, tokens.hospital, {"format": "fax", "rows": [ed_row(1)]})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "format"
    xml = submit(client, tokens.hospital, {"format": "cin_census", "rows": [ed_row(1)]})
    assert xml.status_code == 422 and "not offered" in xml.json()["detail"]
    assert not ImportBatch.objects.exists()


def test_rows_that_do_not_fit_the_format_are_refused_whole_naming_row_and_field(client, tokens):
    rows = [ed_row(1), {**ed_row(2), "favourite_colour": "blue"}, {**ed_row(3), "Surname": "X"}]
    rows[2]["surname"] = "Y"  # the same column twice (names are not case-sensitive)
    response = submit(client, tokens.hospital, health_batch(*rows))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "favourite_colour"), (3, "Surname")]
    assert not ImportBatch.objects.exists() and not SourceRecord.objects.filter(source_key__startswith="RWE")


def test_text_that_cannot_be_stored_is_refused_naming_row_and_field(client, tokens):
    response = submit(client, tokens.hospital, health_batch(ed_row(1), ed_row(2, town="Lough\x00borough")))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "row": 2,
            "field": "town",
            "value": "Lough\\x00borough",
            "expected": "text without NUL characters or unpaired surrogates",
            "rule": "LAN-ENCODING",
        }
    ]
    assert not ImportBatch.objects.exists()


def test_cells_must_be_text_numbers_or_null(client, tokens):
    response = submit(client, tokens.hospital, health_batch(ed_row(1, sex=True)))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"row": 1, "field": "sex", "value": "", "expected": "text, a number or null", "rule": None}
    ]


def test_police_batches_name_their_table(client, tokens):
    missing_table = submit(client, tokens.police, {"format": "police", "rows": [missing_row(1)]})
    assert missing_table.status_code == 422 and missing_table.json()["errors"][0]["field"] == "table"
    response = submit(
        client,
        tokens.police,
        {
            "format": "police",
            "table": "missingreports",
            "source_system": "NICHE",
            "rows": [missing_row(1), missing_row(2, last_seen_at="06/06/2026 01:00")],
        },
    )
    assert response.status_code == 201
    result = response.json()
    assert result["counts"]["accepted"] == 1
    assert result["errors"] == [
        {
            "row": 2,
            "field": "last_seen_at",
            "value": "06/06/2026 01:00",
            "expected": "a time on or before reported_at (05/06/2026 21:40)",
            "rule": "LAN-ORDER",
        }
    ]
    assert ImportBatch.objects.get(pk=result["batch_id"]).table == "MissingReports"
    assert TimelineItem.objects.get(event_key="MPR:LP-00000001").controller.code == "POL"


def test_a_generic_feed_names_lanterns_fields(client, tokens):
    rows = [
        {
            "source_key": "YJ-1",
            "given_name": "Kai",
            "family_name": "Brennan",
            "dob": "27/03/2011",
            "item_type": "csc_contact",
            "occurred_at": "01/10/2026 09:00",
            "details.source": "school",
        },
        {"source_key": "YJ-2", "given_name": "Mia", "item_type": "csc_contact", "occurred_at": "tomorrow"},
    ]
    response = submit(client, tokens.csc, {"format": "generic", "source_system": "MOSAIC", "rows": rows})
    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["counts"]["accepted"] == 1
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(2, "occurred_at")]
    item = TimelineItem.objects.get(source_record__source_key="YJ-1")
    assert item.details == {"source": "school"} and item.controller.code == "CSC"

    no_item_type = submit(
        client,
        tokens.csc,
        {"format": "generic", "rows": [{"source_key": "YJ-3", "occurred_at": "01/10/2026"}]},
    )
    assert no_item_type.status_code == 422
    assert "item_type" in no_item_type.json()["errors"][0]["expected"]


def test_options_the_pipeline_refuses_are_422_and_store_nothing(client, tokens):
    bad = {**health_batch(ed_row(1)), "source_system": "bad/system!"}
    response = submit(client, tokens.hospital, bad, key="same-key")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "source_system"
    assert not ImportBatch.objects.exists()
    # The key was not used up: the corrected request goes through with it.
    retry = submit(client, tokens.hospital, health_batch(ed_row(1)), key="same-key")
    assert retry.status_code == 201


def test_each_submission_is_audited_as_a_collection_by_the_service_user(client, tokens):
    result = submit(client, tokens.hospital, health_batch(ed_row(1), ed_row(2, dob="x"))).json()
    user = tokens.hospital.token.membership.user.username
    events = AuditEvent.objects.filter(object_id=result["batch_id"])
    assert set(events.values_list("code", flat=True)) == {505, 506, 507, 508}
    assert set(events.values_list("actor_username", flat=True)) == {user}
    assert set(events.values_list("role", flat=True)) == {"data_officer"}
    assert set(events.values_list("agency", flat=True)) == {"HOSP"}
    submitted = events.get(code=508)
    assert submitted.details["token"] == tokens.hospital.token.prefix
    assert submitted.details["status"] == "committed"
    assert submitted.details["accepted"] == 1 and submitted.details["rejected"] == 1
    assert "DPA 2018 s62" in submitted.justification
    assert AuditEvent.objects.filter(code__in=(501, 502), actor_username=user).count() == 2


def test_a_statutory_return_attaches_to_the_case_record_by_la_child_id(client, tokens):
    # CSC's case record for Kai (LA child id LCC1001) exists; the 903 Header row carries no names.
    header = {"CHILD": "LCC1001", "SEX": "1", "DOB": "27/03/2011", "ETHNIC": "WBRI", "UPN": "A123456789012"}
    body = {"format": "ssda903", "table": "Header", "source_system": "SSDA903", "collection_year": 2027}
    response = submit(
        client, tokens.csc, {**body, "rows": [header, {**header, "CHILD": "LCC1002", "SEX": "7"}]}
    )
    assert response.status_code == 201, response.json()
    result = response.json()
    assert result["counts"]["records"]["attached"] == 1
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(2, "SEX")]
    batch = ImportBatch.objects.get(pk=result["batch_id"])
    assert batch.options["collection_year"] == 2027 and batch.table == "Header"
