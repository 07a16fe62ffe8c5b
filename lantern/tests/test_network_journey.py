"""Journey 4 (first part) in real headless Chromium: the police analyst opens a child's association
map, expands the deal line, and exports the visible chart as entity and link CSVs for i2."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from .test_journeys import _sign_in

pytestmark = pytest.mark.browser


def test_analyst_opens_a_childs_map_expands_a_node_and_exports_the_chart(live_lantern, page):
    person_id = live_lantern.shell(
        "from lantern.networks.models import Link;"
        "print(Link.objects.filter(link_type='exploited_by', source__person__isnull=False)"
        ".order_by('pk').values_list('source__person_id', flat=True).first())"
    )
    base = live_lantern.base_url
    _sign_in(page, base, "ali")
    page.goto(f"{base}/people/{person_id}/")
    page.get_by_role("link", name="Association map").click()
    page.wait_for_url(re.compile(r"/network/\d+/$"))
    page.locator("[data-testid=network-map][data-ready=true]").wait_for()  # cytoscape drew it
    nodes = page.get_by_test_id("nodes")
    assert nodes.locator("tbody tr").count() >= 2
    line_row = nodes.locator("tbody tr", has_text="Deal line")
    line_row.get_by_role("link", name=re.compile("^Show its links")).click()
    page.wait_for_url(re.compile(r"expand=\d+"))
    assert page.get_by_test_id("links").locator("tbody tr").count() >= 2

    page.get_by_label("Who will receive it").select_option("law_enforcement")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    archive = zipfile.ZipFile(download.value.path())
    assert set(archive.namelist()) == {"entities.csv", "links.csv"}
    links = list(csv.DictReader(io.StringIO(archive.read("links.csv").decode())))
    assert links and {row["Handling code"] for row in links} <= {"1", "2", "3", ""}
