"""Import pipeline throughput and peak memory on a large police events file (issue 3), with ratios
against merely parsing the same file with a columnar reader (pyarrow) in the same run.

The file is a police **Arrests** table (lantern/ingest/formats/police.py: one row per person
arrested, each giving an ``arrest`` event and, when the custody columns are filled, a ``custody``
event), generated deterministically from ``--seed``: every row is valid; nominals (people) recur,
about ``--rows / --nominals`` arrests each, and co-arrested people share an occurrence.

Stages, each in a fresh Python process so its peak resident set size (``ru_maxrss``) is its own:

1. generate the CSV (into a temporary directory);
2. ``pyarrow.csv.read_csv`` of the file: the baseline (whole table in memory, default threads);
   for reference, ``pyarrow.csv.open_csv`` (streamed batches) and the stdlib ``csv.reader``;
3. Lantern's format layer alone: ``police.parse`` + the within-file checks (no database);
4. the pipeline, as ``manage.py import_file --commit`` runs it: ``import_batch_create`` (store the
   upload), ``import_batch_validate`` (check + preview against the database; the accepted rows are
   folded into the batch's staging file on disk) and ``import_batch_commit`` (compare and write, a
   chunk at a time from the staging file, in one transaction). The identity-resolution job the commit
   queues is not run (linkage is measured in linkage benchmarks). The commit also derives the
   association map and lines register from the batch's police records (networks and lines apps);
   its time is reported, and ``--without-network-derive`` leaves it out.

    LANTERN_DATA_DIR=/tmp/bench-import .venv/bin/python benchmarks/import_bench.py --rows 20000
    ... --without-network-derive  # the commit without the association map / lines register
    LANTERN_DATA_DIR=/tmp/bench-import nice -n 10 .venv/bin/python benchmarks/import_bench.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lantern_bench_import \\
        .venv/bin/python benchmarks/import_bench.py          # a fresh, empty database

Without ``DATABASE_URL`` the pipeline uses its own SQLite file, ``DATA_DIR/import_bench.sqlite3``,
deleted and migrated afresh at every run (``DATA_DIR/lantern.sqlite3`` is never touched). With
``DATABASE_URL`` the database is migrated and must hold no imports or records yet.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

AGENCY, USERNAME, SOURCE_SYSTEM = "BENCH-POLICE", "bench-import-officer", "NICHE"
RESULT = "RESULT "  # a child's last stdout line: RESULT {json}
MIB = 1024 * 1024

ARREST_COLUMNS = (
    "nominal_id", "pnc_id", "surname", "forename", "dob", "sex", "ethnicity", "postcode", "address", "town",
    "nhs_number", "occurrence_ref", "arrested_at", "offence", "drug_class", "weapon", "location", "outcome",
    "co_arrested_ids", "custody_suite", "custody_at", "hours_detained", "appropriate_adult",
)  # fmt: skip
INTEL_COLUMNS = (
    "nominal_id", "pnc_id", "surname", "forename", "dob", "sex", "ethnicity", "postcode", "address", "town",
    "nhs_number", "intel_id", "recorded_at", "grading", "handling_code", "handling_condition", "subject_role",
    "text", "topic", "line_name", "deal_line_number", "ocg_key", "location",
)  # fmt: skip
# Sanitised, invented sentences of the kind an intelligence log holds: the narrative is what makes an
# intelligence extract wide (a 2 GB file is about a million reports of 2,000 characters).
INTEL_PHRASES = (
    "Subject seen at the address with two older males not known locally.",
    "A vehicle with out-of-area plates was parked outside for several hours overnight.",
    "Young person reported to be carrying two mobile phones and large amounts of cash.",
    "Neighbours describe frequent short visits to the flat at all hours.",
    "School reports unexplained absences on Mondays and Fridays this term.",
    "Information suggests the subject travels by train to a coastal town at weekends.",
    "Subject described as anxious and unwilling to say where he had been.",
    "A deal line brand is being advertised by bulk text message in the area.",
    "Intelligence indicates a vulnerable adult's home is being used to store drugs.",
    "The young person has new clothes and trainers that family cannot explain.",
    "Found in a property in another force area with an adult posing risk.",
    "Source states that a debt is owed after a seizure by police last month.",
)
LINE_BRANDS = ("Ace", "Jay", "Bando", "Mike", "Toxic", "Zed")  # invented deal-line brand names
TOPICS = ("county lines", "drug supply", "cuckooing", "missing episode", "weapons", "exploitation")
OFFENCES = (
    "possession with intent to supply Class A drugs",
    "being concerned in the supply of Class A drugs",
    "possession of cannabis",
    "possession of a knife in a public place",
    "possession of an offensive weapon",
    "robbery",
    "burglary",
    "theft from a shop",
    "assault occasioning actual bodily harm",
    "criminal damage",
    "going equipped for theft",
)
OUTCOMES = (
    "released under investigation",
    "no further action",
    "charged",
    "bailed",
    "community resolution",
    "cautioned",
)
SUITES = ("Euston Street", "Beaumont Leys", "Loughborough")
ENGLISH_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
    "Robinson", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Hughes", "Edwards", "Turner", "Hill", "Harris", "Cooper", "Ward", "Morris", "Moore",
)  # fmt: skip


# ------------------------------------------------------------------------------------------- helpers


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_seconds() -> float:
    """This process's CPU time (user + system): on a shared machine it varies far less than the wall
    clock. It leaves out the database server's own time (PostgreSQL)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _bar(args: argparse.Namespace, total: int, desc: str, unit: str = "B") -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=True,
        file=sys.stderr,
        disable=args.no_progress,
        mininterval=2.0,
    )


def _database_url(args: argparse.Namespace) -> tuple[str, Path | None]:
    """The database the pipeline stages use, and the SQLite file this benchmark owns (if any)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], None
    path = _data_dir() / "import_bench.sqlite3"
    return f"sqlite:///{path}", path


def _code_version() -> str:
    """The commit measured, and whether the working tree's code differs from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    # Fixed git arguments, no shell.
    head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    dirty = subprocess.run(  # noqa: S603
        [git, "status", "--porcelain", "--", "lantern", "config"], cwd=ROOT, capture_output=True, text=True
    )
    return head.stdout.strip() + (
        " + uncommitted changes in lantern/ or config/" if dirty.stdout.strip() else ""
    )


def _data_dir() -> Path:
    return Path(os.environ.get("LANTERN_DATA_DIR", str(ROOT / "var"))).resolve()


# ------------------------------------------------------------------------------------------- the file


def _nominals(rng: random.Random, count: int) -> list[tuple[str, ...]]:
    """The people of the file: the 11 nominal cells of each, consistent wherever they recur.
    Identifiers are unique per nominal (so records link only to themselves)."""
    from lantern.ingest.formats.base import ETHNICITY_CODES
    from lantern.synthetic.geography import INWARD_LETTERS, STREET_STEMS, STREET_SUFFIXES, TOWNS
    from lantern.synthetic.identifiers import make_pnc_id, nhs_check_digit
    from lantern.synthetic.names import CHILD_BOYS, CHILD_GIRLS, HERITAGE_NAMES

    boys = list(CHILD_BOYS) + [n for v in HERITAGE_NAMES.values() for n in v[0]]
    girls = list(CHILD_GIRLS) + [n for v in HERITAGE_NAMES.values() for n in v[1]]
    surnames = list(ENGLISH_SURNAMES) * 4 + [n for v in HERITAGE_NAMES.values() for n in v[2]]
    suffixes = [s for s, _w in STREET_SUFFIXES]
    nhs_serial = 0
    out = []
    for i in range(count):
        sex = rng.choices("MFU", (60, 38, 2))[0]
        forename = rng.choice(boys if sex == "M" else girls if sex == "F" else boys + girls)
        dob = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(48 * 365))
        town = rng.choice(TOWNS)
        inward = rng.choice(town.sectors) + rng.choice(INWARD_LETTERS) + rng.choice(INWARD_LETTERS)
        nhs = ""
        if rng.random() < 0.3 and nhs_serial < 999_000:  # the NHS test block 999 holds 10^6 numbers
            while (check := nhs_check_digit(first := f"999{nhs_serial:06d}")) is None:
                nhs_serial += 1
            nhs, nhs_serial = f"{first}{check}", nhs_serial + 1
        out.append(
            (
                f"NOM-{i:08d}",
                make_pnc_id(f"{rng.randrange(5, 26):02d}", i) if rng.random() < 0.8 else "",
                rng.choice(surnames),
                forename,
                f"{dob.day:02d}/{dob.month:02d}/{dob.year:04d}",
                sex,
                rng.choice(ETHNICITY_CODES) if rng.random() < 0.9 else "",
                f"{town.outcode} {inward}",
                f"{rng.randint(1, 240)} {rng.choice(STREET_STEMS)} {rng.choice(suffixes)}",
                town.name,
                nhs,
            )
        )
    return out


def _arrest_rows(rng: random.Random, rows: int, nominals: list[tuple[str, ...]]) -> Iterator[list[str]]:
    """Arrest rows by occurrence: one to three people per occurrence, each row naming the others."""
    start = dt.datetime(2016, 1, 1)
    span = int((dt.datetime(2026, 6, 30) - start).total_seconds() // 60)
    done = occurrence = 0
    while done < rows:
        size = min(rows - done, rng.choices((1, 2, 3), (80, 15, 5))[0])
        people: list[tuple[str, ...]] = []
        while len(people) < size:
            person = nominals[rng.randrange(len(nominals))]
            if person not in people:
                people.append(person)
        occurrence += 1
        ref = f"OCC-{occurrence:09d}"
        at = start + dt.timedelta(minutes=rng.randrange(span))
        offence = rng.choice(OFFENCES)
        drug = "A" if "Class A" in offence else "B" if "cannabis" in offence else ""
        weapon = "knife" if "knife" in offence else "offensive weapon" if "weapon" in offence else ""
        location = people[0][9]
        for person in people:
            custody = ["", "", "", ""]
            if rng.random() < 0.6:
                booked = at + dt.timedelta(minutes=rng.randint(15, 180))
                custody = [
                    rng.choice(SUITES),
                    f"{booked:%d/%m/%Y %H:%M}",
                    f"{rng.uniform(1, 36):.1f}",
                    "Y" if (at.date() - _dob(person[4])).days < 18 * 365 else "N",
                ]
            others = ";".join(p[0] for p in people if p is not person)
            yield [*person, ref, f"{at:%d/%m/%Y %H:%M}", offence, drug, weapon, location, rng.choice(OUTCOMES),
                   others, *custody]  # fmt: skip
        done += size


def _intel_rows(
    rng: random.Random, rows: int, nominals: list[tuple[str, ...]], text_chars: int
) -> Iterator[list[str]]:
    """Intelligence reports, one per subject, each with a narrative of about ``text_chars``
    characters (at most the format's 4,000) built from invented sentences."""
    start = dt.datetime(2016, 1, 1)
    span = int((dt.datetime(2026, 6, 30) - start).total_seconds() // 60)
    roles = ("child at risk of criminal exploitation", "adult posing risk", "vulnerable adult", "subject")
    for n in range(rows):
        person = nominals[rng.randrange(len(nominals))]
        at = start + dt.timedelta(minutes=rng.randrange(span))
        target = min(4000, max(40, int(rng.gauss(text_chars, text_chars / 10))))
        parts: list[str] = []
        length = 0
        while length < target:
            phrase = rng.choice(INTEL_PHRASES)
            parts.append(phrase)
            length += len(phrase) + 1
        text = " ".join(parts)[:target]
        if rng.random() < 0.8:
            grading, condition = f"{rng.choice('ABCDE')}{rng.randint(1, 5)}", ""
        else:
            grading, condition = f"{rng.randint(1, 3)}{rng.choice('ABCDE')}", rng.choice("PC")
        line = f"{rng.choice(LINE_BRANDS)} line" if rng.random() < 0.2 else ""
        yield [*person, f"INT-{n:09d}", f"{at:%d/%m/%Y %H:%M}", grading, str(rng.randint(1, 5)), condition,
               rng.choice(roles), text, rng.choice(TOPICS), line, "", "", person[9]]  # fmt: skip


def _dob(text: str) -> dt.date:
    return dt.date(int(text[6:10]), int(text[3:5]), int(text[0:2]))


# ------------------------------------------------------------------------------------------- stages


def stage_generate(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    nominals = _nominals(rng, args.nominals)
    written = 0
    if args.table == "Intelligence":
        columns, rows = INTEL_COLUMNS, _intel_rows(rng, args.rows, nominals, args.text_chars)
    else:
        columns, rows = ARREST_COLUMNS, _arrest_rows(rng, args.rows, nominals)
    with path.open("w", encoding="utf-8", newline="") as fh, _bar(args, args.rows, "generate", "rows") as bar:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(columns)
        for cells in rows:
            writer.writerow(cells)
            written += 1
            if written % 10_000 == 0:
                bar.update(10_000)
        bar.update(written % 10_000)
    return {"rows": written, "bytes": path.stat().st_size}


def stage_pyarrow(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    from pyarrow import csv as pacsv

    table = pacsv.read_csv(path)
    return {"rows": table.num_rows, "columns": table.num_columns, "arrow_bytes": table.nbytes}


def stage_pyarrow_stream(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    from pyarrow import csv as pacsv

    rows = 0
    with pacsv.open_csv(path) as reader:
        for batch in reader:
            rows += batch.num_rows
    return {"rows": rows}


def stage_stdlib_csv(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        rows = sum(1 for _ in reader)
    return {"rows": rows}


def stage_lantern_parse(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    """The format layer alone (pure Python, no Django): parse, convert, row checks, duplicate checks."""
    from lantern.ingest.formats import police
    from lantern.ingest.formats.base import ParsedRow

    rows = accepted = events = 0
    with path.open("rb") as fh, _bar(args, path.stat().st_size, "parse+check") as bar:
        for result in police.validate_file(police.parse(fh, filename=path.name, table=args.table)):
            rows += 1
            if isinstance(result, ParsedRow):
                accepted += 1
                events += len(result.events)
            if rows % 10_000 == 0:
                bar.update(fh.tell() - bar.n)
        bar.update(fh.tell() - bar.n)
    return {"rows": rows, "accepted": accepted, "rejected": rows - accepted, "events": events}


def stage_setup(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    """Migrate the benchmark's database and give it a police agency with a data officer."""
    import secrets

    from django.core.management import call_command

    from lantern.access.models import Team, User
    from lantern.access.services import agency_save, user_create
    from lantern.ingest.models import ImportBatch
    from lantern.people.models import SourceRecord

    call_command("migrate", verbosity=0)
    if SourceRecord.objects.exists() or ImportBatch.objects.exists():
        raise SystemExit("The database already holds records or imports: give the benchmark a fresh one.")
    agency = agency_save(
        code=AGENCY, name="Benchmark Police", agency_type="police", system_actor="import_bench"
    )
    team, _ = Team.objects.get_or_create(agency=agency, name="Data")
    if not User.objects.filter(username=USERNAME).exists():
        user_create(
            username=USERNAME,
            password=secrets.token_urlsafe(24),
            display_name="Data officer (import benchmark)",
            memberships=[(team, "data_officer")],
            system_actor="import_bench",
        )
    return {}


def _viewer() -> Any:
    from lantern.access.models import Membership
    from lantern.access.policy import Viewer

    membership = Membership.objects.select_related("user", "team__agency").get(
        user__username=USERNAME, team__agency__code=AGENCY
    )
    return Viewer(user=membership.user, membership=membership)


def _rss_mib() -> float:
    """The resident set size now (not the peak): /proc/self/statm's second field, in pages."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


RSS_TRACE: list[tuple[float, int, int, float]] = []  # (seconds, rows, file position, RSS MiB)


def _progress(args: argparse.Namespace, desc: str, size: int) -> tuple[Any, Callable[[int, int, int], None]]:
    """A progress bar for a pipeline stage, which also samples the RSS every 30 s into RSS_TRACE,
    so a long run shows whether memory grows with the rows done (the peak alone cannot)."""
    bar = _bar(args, size, desc)
    started = time.perf_counter()

    def progress(rows: int, position: int, _size: int) -> None:
        now = time.perf_counter() - started
        if not RSS_TRACE or now - RSS_TRACE[-1][0] >= 30:
            RSS_TRACE.append((round(now, 1), rows, position, round(_rss_mib(), 1)))
        if position < bar.n:  # the commit's next stage (comparing, writing): a new bar
            bar.reset(total=size)
            bar.set_description(f"{desc}: comparing / writing")
        bar.update(max(0, position - bar.n))
        bar.set_postfix(rows=rows, refresh=False)

    return bar, progress


def stage_upload(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    from lantern.ingest.services import import_batch_create

    batch = import_batch_create(
        viewer=_viewer(), format_code="police", path=path, table=args.table, source_system=SOURCE_SYSTEM
    )
    return {"batch": str(batch.pk), "bytes": batch.size, "stored": str(batch.file_path.parent)}


def _batch(batch_id: str) -> Any:
    from lantern.ingest.models import ImportBatch

    return ImportBatch.objects.get(pk=batch_id)


def stage_check(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    from lantern.ingest.services import import_batch_validate

    batch = _batch(args.batch)
    bar, progress = _progress(args, "check", batch.size)
    with bar:
        batch = import_batch_validate(batch, viewer=_viewer(), progress=progress)
    if batch.status != "validated":
        raise SystemExit(f"The check did not validate the file: {batch.status} {batch.error}")
    staging = getattr(batch, "staging_path", None)  # None: code from before the staging file
    staged = staging.stat().st_size if staging is not None and staging.exists() else 0
    return {"rows": batch.counts["rows"], "counts": batch.counts, "staging_bytes": staged}


def stage_commit(args: argparse.Namespace, path: Path) -> dict[str, Any]:
    from django.db import connection

    from lantern.ingest.services import import_batch_commit
    from lantern.people.models import SourceRecord, TimelineItem

    batch = _batch(args.batch)
    derive = _time_network_derive(args)
    bar, progress = _progress(args, "commit", batch.size)
    with bar:
        batch = import_batch_commit(batch, viewer=_viewer(), progress=progress)
    stored = {"records": SourceRecord.objects.count(), "events": TimelineItem.objects.count()}
    out: dict[str, Any] = {"rows": batch.counts["rows"], "counts": batch.counts, "stored": stored}
    out["network_derive_seconds"] = derive["seconds"]
    if connection.vendor == "sqlite":
        # Measured before the connection closes: the WAL still holds the commit's pages until the
        # checkpoint, so database and WAL are reported apart (the disk needed is their sum).
        name = Path(connection.settings_dict["NAME"])
        wal = Path(f"{name}-wal")
        out["db_bytes"] = name.stat().st_size
        out["wal_bytes"] = wal.stat().st_size if wal.exists() else 0
    return out


def _time_network_derive(args: argparse.Namespace) -> dict[str, float]:
    """Time the association map and lines register derivation the commit runs on the batch's police
    records (networks and lines apps), or with --without-network-derive leave it out, to measure
    the import pipeline alone."""
    spent = {"seconds": 0.0}
    try:
        import lantern.lines.services as lines
        import lantern.networks.services as networks
    except ImportError:  # code from before the hook
        return spent

    def timed(fn: Callable[..., int]) -> Callable[..., int]:
        def run(**kwargs: Any) -> int:
            started = time.perf_counter()
            try:
                return 0 if args.without_network_derive else fn(**kwargs)
            finally:
                spent["seconds"] += time.perf_counter() - started

        return run

    networks.network_derive = timed(networks.network_derive)  # type: ignore[assignment]
    lines.lines_derive = timed(lines.lines_derive)  # type: ignore[assignment]
    return spent


# stage -> (label, function, needs Django)
STAGES: dict[str, tuple[str, Callable[[argparse.Namespace, Path], dict[str, Any]], bool]] = {
    "generate": ("generate the file (Python csv.writer)", stage_generate, False),
    "pyarrow": ("pyarrow.csv.read_csv (baseline)", stage_pyarrow, False),
    "pyarrow-stream": ("pyarrow.csv.open_csv, streamed", stage_pyarrow_stream, False),
    "stdlib-csv": ("stdlib csv.reader, no conversion", stage_stdlib_csv, False),
    "lantern-parse": ("Lantern parse + within-file checks", stage_lantern_parse, False),
    "setup": ("migrate + agency + data officer", stage_setup, True),
    "upload": ("pipeline 1: upload (import_batch_create)", stage_upload, True),
    "check": ("pipeline 2: check (import_batch_validate)", stage_check, True),
    "commit": ("pipeline 3: commit (import_batch_commit)", stage_commit, True),
}


BASELINES = ("pyarrow", "pyarrow-stream", "stdlib-csv", "lantern-parse")


def run_child(args: argparse.Namespace) -> None:
    """One stage in this (fresh) process: time the work alone, report the process's peak RSS."""
    path = Path(args.file)
    _label, fn, needs_django = STAGES[args.stage]
    import tqdm  # noqa: F401 - every import a stage needs happens before the clock starts

    if needs_django:
        import django

        django.setup()
        import lantern.ingest.services  # noqa: F401 - imported before the clock starts
    elif args.stage == "lantern-parse":
        import lantern.ingest.formats.police  # noqa: F401
    elif args.stage.startswith("pyarrow"):
        import pyarrow.csv  # noqa: F401
    start_mib = _peak_mib()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    figures = fn(args, path)
    seconds, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    if profiler is not None:
        import pstats

        profiler.disable()
        out = Path(args.profile) / f"{args.stage}.pstats"
        profiler.dump_stats(out)
        print(f"\n--- cProfile {args.stage} ({out}), top 25 by internal time", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    figures.update(seconds=seconds, cpu_seconds=cpu, peak_mib=_peak_mib(), start_mib=start_mib)
    if RSS_TRACE:
        figures["rss_trace"] = RSS_TRACE
    print(RESULT + json.dumps(figures), flush=True)


# ------------------------------------------------------------------------------------------- parent


def _run_stage(
    args: argparse.Namespace, stage: str, path: Path, env: dict[str, str], batch: str = ""
) -> dict:
    print(f"[{stage}] {STAGES[stage][0]} …", file=sys.stderr, flush=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stage", stage, "--file", str(path)]
    cmd += ["--rows", str(args.rows), "--nominals", str(args.nominals), "--seed", str(args.seed)]
    cmd += ["--table", args.table, "--text-chars", str(args.text_chars)]
    if batch:
        cmd += ["--batch", batch]
    if args.no_progress:
        cmd.append("--no-progress")
    if args.without_network_derive:
        cmd.append("--without-network-derive")
    if args.profile and stage in args.profile_stages:
        cmd += ["--profile", args.profile]
    # Our own script and interpreter, arguments built here: no shell, nothing from outside.
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode or not lines:
        sys.stderr.write(done.stdout)
        raise SystemExit(f"stage {stage} failed (exit status {done.returncode})")
    return json.loads(lines[-1][len(RESULT) :])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--nominals", type=int, default=None, help="distinct people (default rows / 4)")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument(
        "--table",
        choices=["Arrests", "Intelligence"],
        default="Arrests",
        help="the police table to write: Arrests (narrow rows, 1 to 2 events each) or Intelligence "
        "(one event per row, with a narrative of about --text-chars characters)",
    )
    parser.add_argument("--text-chars", type=int, default=2000, help="mean narrative length (Intelligence)")
    parser.add_argument("--tmp-dir", default=None, help="where to write the generated file (default: TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the generated file and the stored upload")
    parser.add_argument(
        "--pipeline",
        choices=["none", "check", "commit"],
        default="commit",
        help="how far to run the pipeline: none (no database), check (upload + check), commit (all)",
    )
    parser.add_argument(
        "--baselines",
        choices=["all", "pyarrow"],
        default="all",
        help="all: every reader and Lantern's format layer alone; pyarrow: only the pyarrow baseline "
        "(for very large files, where the format layer alone would take as long as the check)",
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument(
        "--without-network-derive",
        action="store_true",
        help="commit without deriving the association map and lines register (the import pipeline alone)",
    )
    parser.add_argument(
        "--profile", default=None, metavar="DIR", help="run stages under cProfile, stats in DIR"
    )
    parser.add_argument(
        "--profile-stages", default="lantern-parse,check,commit", help="stages to profile (comma-separated)"
    )
    parser.add_argument("--json", dest="json_out", default=None, help="write all figures as JSON here")
    parser.add_argument("--stage", choices=sorted(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--batch", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.nominals = args.nominals or max(1, args.rows // 4)
    if args.stage:
        return run_child(args)

    args.profile_stages = set(args.profile_stages.split(","))
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    url, own_sqlite = _database_url(args)
    env = {**os.environ, "DATABASE_URL": url}
    if own_sqlite is not None and args.pipeline != "none":
        own_sqlite.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{own_sqlite}{suffix}").unlink(missing_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="lantern-import-bench-", dir=args.tmp_dir))
    path = workdir / f"bench_{args.table.lower()}.csv"
    results: dict[str, dict] = {}
    version = _code_version()
    try:
        baselines = ("pyarrow",) if args.baselines == "pyarrow" else BASELINES
        for stage in ("generate", *baselines):
            results[stage] = _run_stage(args, stage, path, env)
        if args.pipeline != "none":
            results["setup"] = _run_stage(args, "setup", path, env)
            results["upload"] = _run_stage(args, "upload", path, env)
            results["check"] = _run_stage(args, "check", path, env, results["upload"]["batch"])
        if args.pipeline == "commit":
            results["commit"] = _run_stage(args, "commit", path, env, results["upload"]["batch"])
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if "upload" in results:
                shutil.rmtree(results["upload"]["stored"], ignore_errors=True)
    after = _code_version()
    _report(args, results, url, version if after == version else f"{version}, then {after} (changed mid-run)")


def _report(args: argparse.Namespace, results: dict[str, dict], url: str, version: str) -> None:
    rows, size = results["generate"]["rows"], results["generate"]["bytes"]
    base = results["pyarrow"]["seconds"]
    parsed = results.get("lantern-parse")
    parsed_note = f"; {parsed['events']:,} events; {parsed['rejected']:,} rows rejected" if parsed else ""
    print(
        f"police {args.table} CSV: {rows:,} rows, {args.nominals:,} nominals, seed {args.seed}; "
        f"file {size / MIB:,.1f} MiB{parsed_note}"
    )
    print(f"code: {version}")
    if "check" in results:
        print(f"database: {url.split('@')[-1] if '@' in url else url}")
    print(
        f"{'stage':<44}{'seconds':>9}{'rows/s':>11}{'CPU s':>9}{'peak RSS MiB':>14}{'(start)':>9}{'vs pyarrow':>12}"
    )
    shown = [
        "generate",
        "pyarrow",
        "pyarrow-stream",
        "stdlib-csv",
        "lantern-parse",
        "upload",
        "check",
        "commit",
    ]
    for stage in shown:
        if stage not in results:
            continue
        r = results[stage]
        ratio = "" if stage == "generate" else f"{r['seconds'] / base:,.1f}x"
        print(
            f"{STAGES[stage][0]:<44}{r['seconds']:>9.1f}{rows / r['seconds']:>11,.0f}{r['cpu_seconds']:>9.1f}"
            f"{r['peak_mib']:>14,.0f}{r['start_mib']:>9,.0f}{ratio:>12}"
        )
    if "commit" in results:
        total = sum(results[s]["seconds"] for s in ("upload", "check", "commit"))
        cpu = sum(results[s]["cpu_seconds"] for s in ("upload", "check", "commit"))
        peak = max(results[s]["peak_mib"] for s in ("upload", "check", "commit"))
        print(
            f"{'pipeline total (upload + check + commit)':<44}{total:>9.1f}{rows / total:>11,.0f}{cpu:>9.1f}"
            f"{peak:>14,.0f}{'':>9}{total / base:>11,.1f}x"
        )
        c = results["commit"]["counts"]
        print(
            f"committed: {c['accepted']:,} of {c['rows']:,} rows; records {c['records']['new']:,} new; "
            f"events {c['events']['new']:,} new; stored {results['commit']['stored']['records']:,} records, "
            f"{results['commit']['stored']['events']:,} events"
        )
        if "db_bytes" in results["commit"]:
            print(
                f"SQLite after the commit: database {results['commit']['db_bytes'] / MIB:,.0f} MiB, "
                f"WAL {results['commit'].get('wal_bytes', 0) / MIB:,.0f} MiB (until the checkpoint)"
            )
        derive = results["commit"].get("network_derive_seconds", 0.0)
        if args.without_network_derive:
            print("association map and lines register: not derived (--without-network-derive)")
        else:
            print(f"of the commit, deriving the association map and lines register: {derive:,.1f} s")
    for stage in ("check", "commit"):
        trace = results.get(stage, {}).get("rss_trace")
        if trace:
            tenth = [rss for *_, rss in trace[: max(1, len(trace) // 10)]]
            print(
                f"{stage}: RSS sampled {len(trace)} times every 30 s: first tenth of the run "
                f"{min(tenth):,.0f}-{max(tenth):,.0f} MiB, whole run {min(r for *_, r in trace):,.0f}-"
                f"{max(r for *_, r in trace):,.0f} MiB"
            )
    if "check" in results:
        print(f"staging file after the check: {results['check'].get('staging_bytes', 0) / MIB:,.0f} MiB")
    own = f"Lantern parse {parsed['peak_mib'] - parsed['start_mib']:,.0f} MiB, " if parsed else ""
    print(
        f"peak RSS over start: {own}"
        f"pyarrow read_csv {results['pyarrow']['peak_mib'] - results['pyarrow']['start_mib']:,.0f} MiB "
        f"(Arrow table {results['pyarrow']['arrow_bytes'] / MIB:,.0f} MiB), file {size / MIB:,.0f} MiB"
    )
    if args.json_out:
        figures = {"rows": rows, "bytes": size, "code": version, "stages": results}
        Path(args.json_out).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
