"""Journey 6 in real headless Chromium: the strategic lead asks for last quarter's board report,
watches it build in the background worker, reads it, and downloads the PDF for the board papers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import _manage
from .test_journeys import _sign_in

pytestmark = pytest.mark.browser


def test_strategic_lead_builds_reads_and_downloads_the_board_report(live_lantern, page):
    base = live_lantern.base_url
    _sign_in(page, base, "lee")
    page.get_by_role("link", name="Board reports").click()
    page.wait_for_url(f"{base}/reports/")
    assert page.get_by_test_id("no-reports").is_visible()
    quarter = page.get_by_label("Quarter")
    last_complete = quarter.locator("option").nth(1).get_attribute("value")
    quarter.select_option(last_complete)
    page.get_by_test_id("build-report").click()
    page.wait_for_url(re.compile(r"/reports/[0-9a-f-]{36}/$"))
    assert "Waiting for the background worker" in page.get_by_test_id("report-status").inner_text()

    _manage(live_lantern.env, "db_worker", "--batch", "--no-startup-delay")  # the worker runs the job
    page.get_by_test_id("section-missing").wait_for(timeout=20_000)  # the page refreshes itself
    for key in ["missing", "rhi", "referrals", "lines", "trends", "correlation", "equality", "hidden_scale"]:
        assert page.get_by_test_id(f"section-{key}").is_visible(), key
    assert page.locator("svg.lantern-chart, figure svg").count() >= 1
    # the numbers behind a chart, as CSV
    with page.expect_download() as csv_download:
        page.get_by_test_id("section-trends").get_by_role(
            "link", name=re.compile("Download as CSV")
        ).first.click()
    assert Path(csv_download.value.path()).read_text(encoding="utf-8").startswith("Measure,")
    with page.expect_download() as pdf_download:
        page.get_by_test_id("download-pdf").click()
    assert Path(pdf_download.value.path()).read_bytes().startswith(b"%PDF-")
