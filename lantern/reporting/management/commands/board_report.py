"""`manage.py board_report --period 2026Q3 --format pdf`: build the board report for a quarter and
write it as PDF, HTML or the JSON of its sections. `--due` queues the last quarter's report for the
background worker if it has none yet (run it daily from cron: the quarterly schedule)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from lantern.analytics.board import Period
from lantern.core.exceptions import ValidationFailed
from lantern.reporting import services
from lantern.reporting.models import BoardReport
from lantern.reporting.pdf import PdfError, html_to_pdf
from lantern.reporting.rendering import print_html

SYSTEM = "board_report command"


class Command(BaseCommand):
    help = "Build the quarterly board report (PDF, HTML or JSON), or queue the one that is due."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="The quarter, e.g. 2026Q3.")
        parser.add_argument("--format", choices=("pdf", "html", "json"), default="pdf")
        parser.add_argument("--output", help="Where to write it (default: board-report-<period>.<format>).")
        parser.add_argument("--due", action="store_true", help="Queue last quarter's report if it has none.")

    def handle(self, *args, **options):
        if options["due"]:
            report = services.board_report_schedule()
            self.stdout.write(f"Queued the board report for {report.period}." if report else "Nothing due.")
            return
        if not options["period"]:
            raise CommandError("Give --period (e.g. 2026Q3) or --due.")
        try:
            period = Period.parse(options["period"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        report = BoardReport.objects.create(period=period.code, threshold=services.suppression_threshold(),
                                            requested_by_system=SYSTEM)  # fmt: skip
        with tqdm(total=100, desc=f"Board report {period.code}", unit="%") as bar:

            def progress(stage: str, percent: int) -> None:
                bar.set_postfix_str(stage)
                bar.update(max(percent - bar.n, 0))

            try:
                report = services.board_report_build(report, on_progress=progress)
            except ValidationFailed as error:
                raise CommandError(str(error)) from None
            bar.update(100 - bar.n)
        fmt = options["format"]
        output = Path(options["output"] or f"board-report-{period.code}.{fmt}")
        if fmt == "json":
            output.write_text(json.dumps(report.data, indent=2, default=str), encoding="utf-8")
        else:
            html = print_html(report)
            if fmt == "html":
                output.write_text(html, encoding="utf-8")
            else:
                try:
                    output.write_bytes(html_to_pdf(html))
                except PdfError as error:
                    raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({output.stat().st_size:,} bytes)."))
