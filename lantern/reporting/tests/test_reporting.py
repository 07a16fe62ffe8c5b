"""The board report end to end on the synthetic demo county: the extract holds no identities, the
report's numbers match independent ORM queries, small numbers are suppressed, a quarter with no data
says so, only reporting roles see anything, and naming the most frequently missing children follows
the legitimate-relationship policy and is audited."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.urls import reverse

from lantern.access.models import Membership, Team
from lantern.access.services import agency_save, relationship_start, user_create
from lantern.analytics.board import Period
from lantern.audit.models import AuditEvent
from lantern.conftest import PASSWORD, sign_in
from lantern.core.exceptions import AccessDenied
from lantern.core.timeutils import age_on, local
from lantern.missing.models import MissingReport
from lantern.people.models import Person, SourceRecord, TimelineItem
from lantern.referrals.models import Contact
from lantern.reporting import selectors, services
from lantern.reporting.extract import Pseudonymiser
from lantern.reporting.models import BoardReport, Extract, JobStatus
from lantern.synthetic.generator import generate
from lantern.synthetic.loader import load_county

AS_OF = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def county():
    return generate("demo", seed=2019, as_of=AS_OF)


@pytest.fixture
def loaded(db, county, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    load_county(county, truth_dir=tmp_path / "truth", defect_rate=0)
    return county


def _lead(partnership_team: Team, username: str = "lead"):
    user = user_create(
        username=username, password=PASSWORD, display_name="Lee", memberships=[(partnership_team, "strategic_lead")],
        system_actor="test",
    )  # fmt: skip
    membership = Membership.objects.select_related("team__agency").get(user=user)
    from lantern.access.policy import Viewer

    return Viewer(user=user, membership=membership)


def _children_reports(period: Period | None = None) -> list[tuple]:
    """(person id, sex, reported date) of every police missing report about a child, read with the ORM."""
    rows = MissingReport.objects.values_list(
        "item__person_id", "item__person__display_sex", "item__person__display_dob", "reported_at"
    )
    out = []
    for person_id, sex, dob, reported_at in rows:
        day = local(reported_at).date()
        if (dob is None or age_on(dob, day) < 18) and (period is None or period.start <= day <= period.end):
            out.append((person_id, sex, day))
    return out


def _busiest_quarter() -> Period:
    return Counter(Period.containing(day) for _, _, day in _children_reports()).most_common(1)[0][0]


def said(n: int, threshold: int = 5) -> str:
    """How the report words a count: small numbers withheld in sentences too."""
    return f"{n:,}" if n == 0 or n >= threshold else f"fewer than {threshold}"


def _section(report: BoardReport, key: str) -> dict:
    return selectors.section(report, key)


def test_the_board_report_on_the_demo_county(loaded):
    csc = Team.objects.filter(agency__agency_type="childrens_social_care").first()
    lead = _lead(csc)
    period = _busiest_quarter()
    report = services.board_report_request(period=period, viewer=lead)  # the immediate backend runs it
    report.refresh_from_db()
    assert report.status == JobStatus.READY, report.error

    # missing episodes: the report's table against the ORM, cell by cell (before suppression)
    reports = _children_reports(period)
    total = len(reports)
    by_sex = Counter(sex for _, sex, _ in reports)
    section = _section(report, "missing")
    assert section["summary"].startswith(f"{said(total).capitalize()} missing episodes were reported for")
    children = len({person_id for person_id, _, _ in reports})
    assert f"for {said(children)} children" in section["summary"]
    table = section["tables"][0]
    boys = table["columns"].index("Episodes: boys")
    shown = [row[boys] for row in table["rows"]]
    if None not in shown:
        assert sum(shown) == by_sex["M"]
    # a published cell is never a small number
    for row in table["rows"]:
        assert all(v is None or v == 0 or v >= report.threshold for v in row[1:])

    # referrals: every CIN referral and front-door contact received in the quarter
    in_period = {"__date__gte": period.start, "__date__lte": period.end}
    referred = Contact.objects.filter(**{f"received_at{k}": v for k, v in in_period.items()}).count()
    referred += TimelineItem.objects.filter(
        item_type="csc_referral", **{f"occurred_at{k}": v for k, v in in_period.items()}
    ).count()
    referrals = _section(report, "referrals")
    assert referrals["summary"].startswith(
        f"{said(referred).capitalize()} referrals" if referred else "No referrals"
    )

    # the trends end with this quarter's missing episodes
    trends = _section(report, "trends")["tables"][0]
    assert trends["columns"][-1] == period.code
    assert trends["rows"][0][-1] in (total, None)

    # the extract: no names, no dates of birth, no source keys; people only as 16-digit hashes
    extract = report.extract
    names = set(Person.objects.exclude(display_name="").values_list("display_name", flat=True)[:500])
    keys = set(SourceRecord.objects.values_list("source_key", flat=True)[:500])
    for path in extract.path.glob("*.parquet"):
        table = pq.read_table(path)
        assert not {"name", "dob", "display_name", "source_key"} & set(table.column_names)
        for column in table.column_names:
            values = {str(v) for v in table.column(column).to_pylist() if v is not None}
            assert not values & names, (path.name, column)
            assert not values & keys, (path.name, column)
        if "pid" in table.column_names:
            assert all(len(p) == 16 for p in table.column("pid").to_pylist())
    built = AuditEvent.objects.filter(code=299, object_type="analytics_extract", object_id=str(extract.pk))
    assert built.exists()

    # naming the most frequently missing children follows the legitimate-relationship policy
    pids = _section(report, "frequent_missing")["pids"]
    assert len(pids) == 3
    # the lead has no case-record capability: nothing named, nothing audited as a consultation
    assert selectors.frequent_missing_named(viewer=lead, report=report) == []
    # a practitioner of an agency that holds none of these children, allocated to the most frequent
    # one, sees that child named, and only that child
    pseudonym = Pseudonymiser(report.extract.pseudonym_key)
    top_id = next(person_id for person_id, _, _ in reports if pseudonym(person_id) == pids[0])
    counts = Counter(person_id for person_id, _, _ in reports)
    assert counts[top_id] == max(counts.values())
    charity = Team.objects.create(
        agency=agency_save(
            code="VOL", name="Return home interview charity", agency_type="voluntary", system_actor="t"
        ),
        name="Interviewers",
    )
    worker = user_create(
        username="worker", password=PASSWORD, display_name="W", memberships=[(charity, "missing_coordinator")],
        system_actor="test",
    )  # fmt: skip
    relationship_start(person_id=top_id, kind="allocation", reason="test", user=worker, system_actor="test")
    from lantern.access.policy import Viewer

    viewer = Viewer(
        user=worker, membership=Membership.objects.select_related("team__agency").get(user=worker)
    )
    named = selectors.frequent_missing_named(viewer=viewer, report=report)
    opened = [n for n in named if n.person_id]
    assert [n.person_id for n in opened] == [str(top_id)]
    audit = AuditEvent.objects.filter(code=130, actor=worker).get()
    assert [str(s) for s in audit.subjects.values_list("person_id", flat=True)] == [str(top_id)]


def test_a_quarter_with_no_data_says_so(partnership, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    lead = _lead(partnership.teams["governance"])
    report = services.board_report_request(period=Period(2001, 1), viewer=lead)
    report.refresh_from_db()
    assert report.status == JobStatus.READY, report.error
    assert report.data["has_data"] is False
    summaries = {s["key"]: s["summary"] for s in report.data["sections"]}
    assert summaries["missing"] == "No missing episodes were reported for children in this period."
    assert "cannot estimate because" in summaries["hidden_scale"].lower()
    assert all(summaries.values())


def test_a_quarter_that_has_not_started_is_refused(partnership):
    lead = _lead(partnership.teams["governance"])
    from lantern.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed, match="has not started"):
        services.board_report_request(period=Period(2999, 1), viewer=lead)


@pytest.mark.parametrize("username", ["hubsw", "analyst", "dpo", "dsla", "sysadmin", "frontdoor"])
def test_roles_without_reporting_rights_see_nothing(partnership, settings, tmp_path, client, username):
    settings.DATA_DIR = tmp_path
    lead = _lead(partnership.teams["governance"])
    report = services.board_report_request(period=Period(2001, 1), viewer=lead)
    extract = Extract.objects.get()
    viewer = partnership.viewer(username)
    with pytest.raises(AccessDenied):
        selectors.board_reports(viewer=viewer)
    with pytest.raises(AccessDenied):
        services.board_report_request(period=Period(2001, 1), viewer=viewer)
    sign_in(client, username)
    for url in [
        reverse("reporting:reports"),
        reverse("reporting:report", args=[report.pk]),
        reverse("reporting:pdf", args=[report.pk]),
        reverse("reporting:csv", args=[report.pk, "trends"]),
        reverse("reporting:extract_download", args=[extract.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"Trends" not in response.content


def test_the_report_page_csv_and_extract_for_the_strategic_lead(partnership, settings, tmp_path, client):
    settings.DATA_DIR = tmp_path
    lead = _lead(partnership.teams["governance"])
    sign_in(client, "lead")
    response = client.post(
        reverse("reporting:reports"), {"period": Period.containing(dt.date.today()).previous().code}
    )
    report = BoardReport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "reporting:report", args=[report.pk]
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"Trends over the last five quarters" in page.content
    assert AuditEvent.objects.filter(code=129, actor=lead.user, object_id=str(report.pk)).exists()
    # the page's status poll reads no figures and writes no audit row
    audited = AuditEvent.objects.count()
    assert client.get(reverse("reporting:status", args=[report.pk])).status_code == 204
    assert AuditEvent.objects.count() == audited
    csv = client.get(reverse("reporting:csv", args=[report.pk, "trends"]))
    assert csv.status_code == 200 and csv.content.startswith(b"Measure,")
    assert AuditEvent.objects.filter(code=312, actor=lead.user, object_id=str(report.pk)).count() == 1
    assert client.get(reverse("reporting:csv", args=[report.pk, "no-such-table"])).status_code == 404
    client.post(reverse("reporting:extract_new"))
    extract = Extract.objects.filter(requested_by=lead.user).get()
    download = client.get(reverse("reporting:extract_download", args=[extract.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert AuditEvent.objects.filter(code=313, actor=lead.user, object_id=str(extract.pk)).exists()


def test_the_pdf_is_printed_by_chromium(partnership, settings, tmp_path, client):
    settings.DATA_DIR = tmp_path
    _lead(partnership.teams["governance"])
    sign_in(client, "lead")
    client.post(reverse("reporting:reports"), {"period": Period.containing(dt.date.today()).previous().code})
    report = BoardReport.objects.get()
    response = client.get(reverse("reporting:pdf", args=[report.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")


def test_the_command_writes_json_and_the_schedule_queues_last_quarter_once(partnership, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = tmp_path / "report.json"
    call_command("board_report", "--period", "2001Q1", "--format", "json", "--output", str(out))
    data = json.loads(out.read_text())
    assert data["period"] == "2001Q1" and data["has_data"] is False
    first = services.board_report_schedule(today=dt.date(2026, 10, 2))
    assert first is not None and first.period == "2026Q3"
    assert services.board_report_schedule(today=dt.date(2026, 10, 3)) is None
