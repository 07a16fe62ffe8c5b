"""How well the network signals find what the synthetic county planted: the cuckooing signal against
the planted cuckooed addresses, and "children within 2 hops of an active deal line" against the
planted exploited children of active lines. Ground truth is read from the generator's files beside
the data (truth_network.csv, truth_records.csv); it never enters the app. A true person whose
records Lantern holds as more than one person counts as found if any of them is."""

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lantern.analytics import graph as g
from lantern.core.timeutils import age_on, local, now
from lantern.networks import selectors
from lantern.networks.models import Link
from lantern.people.models import Person, SourceRecord


class Command(BaseCommand):
    help = "Evaluate the cuckooing and deal-line signals against the synthetic ground truth."

    def add_arguments(self, parser):
        parser.add_argument("--truth", type=Path, default=None, help="the folder holding truth_network.csv")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--window-days", type=int, default=90)
        parser.add_argument("--min-linked", type=int, default=3)

    def handle(self, *args, truth, as_of, window_days, min_linked, **options):
        folder = truth or self._newest()
        persons_of = self._persons(folder / "truth_records.csv")
        network = list(csv.DictReader((folder / "truth_network.csv").open(encoding="utf-8")))
        active_lines = {r["key"] for r in network if r["kind"] == "line" and r["notes"] == "active"}
        line_of_address = {r["key"]: r["line_key"] for r in network if r["kind"] == "cuckooed_address"}
        home_of = {r["key"]: r["value"] for r in network if r["kind"] == "cuckooed_adult"}
        view = selectors.system_graph()
        as_of = as_of or local(now()).date()

        # A planted cuckooed address is the home of a planted cuckooed adult: the address most of their
        # agency records give (an older address on one record is not the home that was taken over).
        planted, expected = set(), set()
        residence = list(
            Link.objects.filter(link_type="lives_at").values_list("source__person_id", "target_id")
        )
        for truth_key, home in home_of.items():
            persons = persons_of.get(truth_key, ())
            addresses = Counter(address for person, address in residence if person in persons)
            if addresses:
                address = addresses.most_common(1)[0][0]
                planted.add(address)
                if line_of_address.get(home) in active_lines:
                    expected.add(address)
        signals = g.cuckooing_signals(view.graph, as_of=as_of, window_days=window_days, min_linked=min_linked)
        flagged = {view.entity(s.address_id).pk for s in signals}
        self.stdout.write(f"As of {as_of}; window {window_days} days; at least {min_linked} linked")
        self._report("Cuckooing signal (address entities)", flagged, planted, expected)

        dob = dict(
            Person.objects.filter(pk__in=[p for ps in persons_of.values() for p in ps]).values_list(
                "pk", "display_dob"
            )
        )
        children = {  # planted children of active lines who are still children today
            r["key"] for r in network
            if r["kind"] == "exploited_child" and r["line_key"] in active_lines and r["key"] in persons_of
            and any((age := age_on(dob.get(p), as_of)) is not None and age < 18 for p in persons_of[r["key"]])
        }  # fmt: skip
        proximity = g.children_near_active_lines(view.graph, selectors.line_activity(view), as_of=as_of)
        truth_of = {person: key for key, persons in persons_of.items() for person in persons}
        found = {
            truth_of.get(view.entity(c.child_id).person_id, f"not in truth:{c.child_id}")
            for c in proximity.children
        }
        self.stdout.write(
            f"Active lines found: {len(proximity.active_line_ids)} (planted active: {len(active_lines)})"
        )
        self._report("Children within 2 hops of an active deal line (true people)", found, children, children)
        exploited = {r["key"] for r in network if r["kind"] == "exploited_child"}
        others = found - children
        self.stdout.write(
            f"  of the flags not planted on a line the generator calls active: {len(others & exploited)} are "
            f"exploited children of other lines, {len(others - exploited)} are not exploited"
        )

    def _report(self, title, flagged, planted, expected):
        hits = flagged & planted
        self.stdout.write(f"{title}:")
        self.stdout.write(
            f"  flagged {len(flagged)}, of which planted {len(hits)} (false flags {len(flagged - planted)})"
        )
        self.stdout.write(
            f"  planted {len(planted)}; expected to show now {len(expected)}, found {len(flagged & expected)}"
        )
        if flagged:
            self.stdout.write(f"  precision {len(hits) / len(flagged):.3f}")
        if expected:
            self.stdout.write(f"  recall of those expected {len(flagged & expected) / len(expected):.3f}")

    def _persons(self, path: Path) -> dict[str, set]:
        by_record = {}
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                by_record[(row["agency_code"], row["source_system"], row["source_key"])] = row["person_key"]
        persons_of: dict[str, set] = {}
        rows = SourceRecord.objects.exclude(person__isnull=True).values_list(
            "agency__code", "source_system", "source_key", "person_id"
        )
        for agency, system, key, person in rows.iterator(chunk_size=10_000):
            if (truth_key := by_record.get((agency, system, key))) is not None:
                persons_of.setdefault(truth_key, set()).add(person)
        return persons_of

    def _newest(self) -> Path:
        found = sorted(
            Path(settings.DATA_DIR).glob("synthetic/*/truth_network.csv"), key=lambda p: p.stat().st_mtime
        )
        if not found:
            raise CommandError("No ground truth found: pass --truth FOLDER")
        return found[-1].parent
