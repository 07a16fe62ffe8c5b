"""Generate the synthetic county and load it through Lantern's services (only if not already there)."""

import datetime as dt
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lantern.synthetic.generator import SIZES, generate
from lantern.synthetic.loader import already_loaded, as_of_default, load_county
from lantern.synthetic.personas import DEMO_PASSWORD, PERSONAS


class Command(BaseCommand):
    help = "Generate and load the synthetic county with demo personas (skipped if data is already loaded)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="demo")
        parser.add_argument("--seed", type=int, default=2019)
        parser.add_argument(
            "--as-of", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD; default today"
        )
        parser.add_argument("--truth-dir", type=Path, default=None)
        parser.add_argument("--quiet", action="store_true", help="No progress bars")

    def handle(self, *args, size, seed, as_of, truth_dir, quiet, **options):
        if already_loaded():
            self.stdout.write("Demo data is already loaded; nothing to do.")
            self._print_logins()
            return
        as_of = as_of or as_of_default()
        truth_dir = truth_dir or Path(settings.DATA_DIR) / "synthetic" / f"{size}-seed{seed}"
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if quiet:
                return
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(total=total, desc=stage, unit=" rows", leave=True)
            bar.n = done
            bar.refresh()

        started = time.perf_counter()
        county = generate(size, seed=seed, as_of=as_of, progress=progress)
        generated = time.perf_counter()
        try:
            summary = load_county(county, truth_dir=truth_dir, progress=progress)
        except Exception as error:
            raise CommandError(f"Loading the synthetic county failed: {error}") from error
        finally:
            for bar in bars.values():
                bar.close()
        loaded = time.perf_counter()
        self.stdout.write(
            f"Synthetic county '{size}' (seed {seed}, as of {as_of}): {summary.files} agency files imported "
            f"({summary.file_rows:,} rows, {summary.file_rows_rejected:,} refused into quarantine); "
            f"{summary.records:,} records, "
            f"{summary.items:,} events, {summary.categories:,} categories, {summary.allocations} hub allocations. "
            f"Generated in {generated - started:.1f}s, loaded in {loaded - generated:.1f}s."
        )
        self.stdout.write("Distributions:")
        for key, value in county.summary().items():
            self.stdout.write(f"  {key}: {value}")
        self.stdout.write(f"Ground truth (not in the app): {truth_dir}")
        self._print_logins()

    def _print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.username:<8} {persona.display_name:<14} {persona.can_do}")
