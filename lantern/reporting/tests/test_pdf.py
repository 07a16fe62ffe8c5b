"""Printing the board report with headless Chromium: a real print of a page with a chart, and the
failure paths (no browser, a browser that fails, hangs or writes nothing) through stand-in scripts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from lantern.reporting.charts import BLUE, bar_chart, interval_chart, line_chart
from lantern.reporting.pdf import (
    CSP,
    PRINT_CSS,
    PdfFailed,
    PdfUnavailable,
    _harden,
    find_chromium,
    html_to_pdf,
)

needs_chromium = pytest.mark.skipif(find_chromium() is None, reason="needs the Debian package chromium")
QUARTERS = ["Q2 2024", "Q3 2024", "Q4 2024", "Q1 2025"]


def board_page() -> str:
    referrals = bar_chart(
        "Referrals by source agency",
        ["Police", "Children's social care", "Education", "Health"],
        {"This quarter": [42, 31, 18, None], "Last quarter": [38, 35, 12, 6]},
    )
    missing = line_chart("Missing episodes", QUARTERS, {"Episodes": [120, 134, None, 151]})
    rri = interval_chart(
        "Relative rate index", [("Black or Black British", 2.41, (1.62, 3.58)), ("Other", None, None)]
    )
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Board report</title>
<style>{PRINT_CSS}</style></head><body><h1 id="heading">Quarterly board report</h1>
<figure><figcaption>Referrals by source agency</figcaption>{referrals}</figure>
<figure><figcaption>Missing episodes</figcaption>{missing}</figure>
<figure><figcaption>Relative rate index</figcaption>{rri}</figure>
<script>document.getElementById("heading").textContent = "Script ran";</script>
</body></html>"""


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


def fill_colours(pdf: bytes) -> set[tuple[float, float, float]]:
    """Every RGB fill colour set in the PDF's (zlib-compressed) content streams."""
    found = set()
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            continue
        for r, g, b in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) rg", content):
            found.add((float(r), float(g), float(b)))
    return found


def read_ppm(path: Path) -> tuple[int, int, bytes]:
    """A binary PPM (P6, maxval 255), as pdftoppm writes it: width, height, RGB bytes."""
    data = path.read_bytes()
    magic, width, height, maxval, pixels = re.match(
        rb"(P6)\s+(\d+)\s+(\d+)\s+(\d+)\s(.*)", data, re.S
    ).groups()
    assert maxval == b"255"
    return int(width), int(height), pixels


@pytest.mark.browser
@needs_chromium
def test_a_page_with_charts_prints_to_an_a4_pdf_with_the_charts_drawn(tmp_path):
    pdf = html_to_pdf(board_page(), timeout=60)

    assert pdf.startswith(b"%PDF")
    assert pages(pdf) == 1
    blue = tuple(int(BLUE[i : i + 2], 16) / 255 for i in (1, 3, 5))
    assert any(
        all(abs(a - b) < 0.005 for a, b in zip(colour, blue, strict=True)) for colour in fill_colours(pdf)
    )

    # With poppler-utils installed (not a project dependency), look at the printed page itself.
    pdftoppm, pdftotext = shutil.which("pdftoppm"), shutil.which("pdftotext")
    if pdftoppm and pdftotext:
        (tmp_path / "report.pdf").write_bytes(pdf)
        subprocess.run(
            [pdftoppm, "-r", "40", "-f", "1", "-l", "1", "-singlefile", "report.pdf", "page"],
            cwd=tmp_path,
            check=True,
        )
        width, height, pixels = read_ppm(tmp_path / "page.ppm")
        assert (width, height) == (331, 468)  # A4 portrait at 40 dpi
        rgb = [pixels[i : i + 3] for i in range(0, len(pixels), 3)]
        inked = sum(1 for px in rgb if min(px) < 200)
        chart_blue = sum(1 for r, g, b in rgb if b > 150 and r < 80 and 90 < g < 140)
        assert inked > 0.02 * width * height
        assert chart_blue > 100
        text = subprocess.run(
            [pdftotext, "report.pdf", "-"], cwd=tmp_path, check=True, capture_output=True, text=True
        ).stdout
        assert "Quarterly board report" in text and "Police" in text and "not estimated" in text
        assert "Script ran" not in text  # the inserted Content-Security-Policy blocks scripts


def test_no_browser_is_pdf_unavailable(tmp_path):
    with pytest.raises(PdfUnavailable, match="install the Debian package chromium"):
        html_to_pdf("<p>x</p>", executable=tmp_path / "no-such-chromium")


def test_a_configured_browser_that_is_missing_is_pdf_unavailable(monkeypatch):
    monkeypatch.setenv("LANTERN_CHROMIUM", "/nonexistent/chromium")
    assert find_chromium() is None
    with pytest.raises(PdfUnavailable):
        html_to_pdf("<p>x</p>")


def fake_browser(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-chromium"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return script


def test_a_failing_browser_is_pdf_failed_with_its_stderr(tmp_path):
    browser = fake_browser(
        tmp_path, "echo 'some dbus noise' >&2\necho 'Page load failed: boom' >&2\nexit 3\n"
    )
    with pytest.raises(PdfFailed, match="status 3") as caught:
        html_to_pdf("<p>x</p>", executable=browser)
    assert "Page load failed: boom" in str(caught.value)
    assert "dbus" not in str(caught.value)


def test_a_browser_that_writes_no_pdf_is_pdf_failed(tmp_path):
    # Real Chromium exits 0 without writing a file when the page cannot be printed.
    browser = fake_browser(tmp_path, "exit 0\n")
    with pytest.raises(PdfFailed, match="produced no PDF"):
        html_to_pdf("<p>x</p>", executable=browser)


def test_a_hung_browser_is_killed_with_its_children(tmp_path):
    pid_file = tmp_path / "child.pid"
    browser = fake_browser(tmp_path, f"echo starting >&2\nsleep 60 &\necho $! > {pid_file}\nwait\n")
    started = time.monotonic()
    with pytest.raises(PdfFailed, match="within 0.5 s") as caught:
        html_to_pdf("<p>x</p>", executable=browser, timeout=0.5)
    assert time.monotonic() - started < 10
    assert "starting" in str(caught.value)
    child = int(pid_file.read_text())
    for _ in range(50):  # the kill is asynchronous; a reaped or zombie child is a dead one
        status = Path(f"/proc/{child}/status")
        if not status.exists() or "State:\tZ" in status.read_text():
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        pytest.fail("the browser's child process outlived the timeout")


def test_the_page_gets_a_content_security_policy_and_optional_base():
    hardened = _harden(
        '<!DOCTYPE html><html><HEAD lang="en"><title>t</title></head></html>', Path("/srv/report")
    )
    assert hardened.startswith(
        f'<!DOCTYPE html><html><HEAD lang="en"><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<base href="file:///srv/report/"><title>'
    )
    assert _harden("<!doctype html><p>x</p>", None).startswith("<!doctype html><meta http-equiv")
    assert _harden("<p>x</p>", None).startswith("<meta http-equiv") and "<base" not in _harden(
        "<p>x</p>", None
    )
