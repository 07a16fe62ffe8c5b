"""A real background worker killed in the middle of committing an import (SIGKILL: no clean-up, no
exception handler) leaves the database exactly as before the batch; committing the batch again
completes it with no duplicates. Real processes and a real database file (or a fresh PostgreSQL
database when DATABASE_URL points at PostgreSQL); nothing is mocked."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .conftest import ROOT, _drop_postgres_database, _manage, _postgres_database

ROWS = 20_000
COUNTS = (
    "from lantern.people.models import SourceRecord, TimelineItem, Person;"
    "from lantern.audit.models import AuditEvent;"
    "print(SourceRecord.objects.count(), TimelineItem.objects.count(), Person.objects.count(),"
    " AuditEvent.objects.filter(code=507).count(), sep=',')"
)


def _shell(env: dict[str, str], code: str) -> str:
    return _manage(env, "shell", "-v0", "-c", code).strip().splitlines()[-1]


def _letters(number: int, stem: str) -> str:
    """A name made only of letters (names with digits are rightly refused)."""
    out = stem
    while True:
        number, digit = divmod(number, 26)
        out += "abcdefghijklmnopqrstuvwxyz"[digit]
        if not number:
            return out


def _stop_search_file(path: Path, rows: int) -> None:
    """A valid police stop-and-search extract: one new person and one search per row."""
    columns = ["nominal_id", "pnc_id", "surname", "forename", "dob", "sex", "ethnicity", "postcode", "address", "town",
               "nhs_number", "search_id", "searched_at", "grounds", "outcome", "items_found", "location"]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(rows):
            writer.writerow(
                [f"KILL{i:06d}", "", _letters(i % 997, "Fam"), _letters(i % 389, "Giv"), f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1990 + i % 20}",
                 "MF"[i % 2], "", "", "", "", "", f"SS-KILL-{i:06d}", f"{1 + i % 28:02d}/06/2026 14:{i % 60:02d}", "drugs",
                 "nothing found", "N", ""]
            )  # fmt: skip


@pytest.fixture
def fresh_lantern(tmp_path) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "kill-" + uuid.uuid4().hex,
        "LANTERN_DATA_DIR": str(tmp_path / "data"),
    }
    database = None
    if env.get("DATABASE_URL", "").startswith("postgres"):
        env["DATABASE_URL"], database = _postgres_database(env["DATABASE_URL"])
    _manage(env, "migrate", "-v0")
    _manage(env, "seed_demo", "--size", "tiny", "--quiet")
    _shell(
        env,
        "from lantern.access.models import Team; from lantern.access.services import user_create;"
        "user_create(username='polimport', password='x-not-used-x', display_name='Police data officer',"
        " memberships=[(Team.objects.get(agency__code='LEICS-POLICE', name='Intelligence unit'), 'data_officer')],"
        " system_actor='test'); print('ok')",
    )
    yield env
    if database:
        _drop_postgres_database(env["DATABASE_URL"], database)


def test_killing_the_worker_mid_commit_leaves_nothing_and_a_rerun_completes_without_duplicates(
    fresh_lantern, tmp_path
):
    env = fresh_lantern
    path = tmp_path / "stop_search.csv"
    _stop_search_file(path, ROWS)
    checked = _manage(
        env, "import_file", "--format", "police", "--table", "StopSearch", "--agency", "LEICS-POLICE",
        "--source-system", "NICHE", "--as", "polimport", "--no-progress", str(path),
    )  # fmt: skip
    batch_id = checked.split("Import ", 1)[1].split(":", 1)[0]
    assert f"{ROWS} rows read, {ROWS} accepted" in checked
    progress = Path(
        _shell(
            env,
            f"from lantern.ingest.models import ImportBatch; print(ImportBatch.objects.get(pk='{batch_id}').progress_path)",
        )
    )
    before = _shell(env, COUNTS)
    _shell(
        env,
        "from lantern.access.models import Membership; from lantern.ingest.tasks import import_commit_task;"
        f"import_commit_task.enqueue('{batch_id}', Membership.objects.get(user__username='polimport').pk); print('queued')",
    )

    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        stage = ""
        while time.monotonic() < deadline and stage != "writing":
            try:
                stage = json.loads(progress.read_text(encoding="utf-8"))["stage"]
            except (OSError, ValueError, KeyError):
                stage = ""
            time.sleep(0.02)
        assert stage == "writing", "the worker never reached the writing stage"
        time.sleep(1.0)  # well inside the commit's transaction: thousands of rows written, not committed
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert _shell(env, COUNTS) == before, "a killed commit must leave nothing behind"
    status = _shell(
        env,
        f"from lantern.ingest.models import ImportBatch; print(ImportBatch.objects.get(pk='{batch_id}').status)",
    )
    assert status == "committing"  # the page shows it stuck; it can be committed again

    rerun = (
        "from lantern.access.models import Membership; from lantern.access.policy import Viewer;"
        "from lantern.ingest.models import ImportBatch; from lantern.ingest.services import import_batch_commit;"
        "m = Membership.objects.select_related('user', 'team__agency').get(user__username='polimport');"
        f"b = import_batch_commit(ImportBatch.objects.get(pk='{batch_id}'), viewer=Viewer(user=m.user, membership=m));"
        "print(b.status)"
    )
    assert _shell(env, rerun) == "committed"
    records, items, _persons, commits = (int(n) for n in _shell(env, COUNTS).split(","))
    records0, items0, _p0, commits0 = (int(n) for n in before.split(","))
    assert (records - records0, items - items0, commits - commits0) == (ROWS, ROWS, 1)
    assert _shell(env, rerun) == "committed"  # again: a no-op
    assert _shell(env, COUNTS).split(",")[:2] == [str(records), str(items)]
    duplicates = _shell(
        env,
        "from django.db.models import Count; from lantern.people.models import TimelineItem;"
        "print(TimelineItem.objects.filter(event_key__startswith='SS').values('controller', 'item_type', 'event_key')"
        ".annotate(n=Count('id')).filter(n__gt=1).count())",
    )
    assert duplicates == "0"
