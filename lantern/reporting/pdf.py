"""Print an HTML page to PDF with headless Chromium (the Debian package `chromium`).

The page is written to a private temporary directory and Chromium is run once per document, as a
separate process with a timeout, from a fresh throw-away profile. The HTML must be self-contained:
inline `<style>` (start from `PRINT_CSS`) and inline SVG charts, no scripts, no links to the web
server. To keep a stray reference from reaching the network or running code, a Content-Security-
Policy `<meta>` is inserted (no scripts, no remote fetches; only inline styles and data:/file:
images and fonts) and Chromium resolves no host names.

Chromium is found from the `executable` argument, else the `LANTERN_CHROMIUM` environment variable,
else `chromium` (or `chromium-browser`) on PATH. Nothing here imports Django, so callers and tests
need no settings.

Headless Chromium cannot add page numbers without its default header and footer (which print the
file path and date), so the report has none; `PRINT_CSS` sets A4 and keeps tables, table rows and
figures from breaking across pages.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from html import escape
from pathlib import Path

__all__ = ["PRINT_CSS", "PdfError", "PdfFailed", "PdfUnavailable", "find_chromium", "html_to_pdf"]

PRINT_CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; font-family: arial, sans-serif; font-size: 11pt; line-height: 1.35; color: #0b0c0c; }
h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
table, figure, svg, .lantern-chart, tr, img { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
figure { margin: 0 0 8mm 0; }
svg.lantern-chart { display: block; max-width: 100%; height: auto; }
a { color: inherit; text-decoration: none; }
"""

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: file:; font-src data: file:; "
    "script-src 'none'; base-uri file:"
)
STDERR_TAIL = 2000

# Noise Chromium always writes in a container without a session bus or GPU; dropped from the
# stderr tail so the real error is visible.
_NOISE = re.compile(r"dbus|Fontconfig|unexpected operator|bytes written to file|GPU|gpu_|viz_main|sandbox")


class PdfError(Exception):
    """The report could not be printed."""


class PdfUnavailable(PdfError):
    """No Chromium to print with."""


class PdfFailed(PdfError):
    """Chromium ran but produced no PDF (error or timeout); the message ends with its stderr tail."""


def find_chromium() -> str | None:
    """The Chromium executable to use, or None: $LANTERN_CHROMIUM, else chromium on PATH."""
    configured = os.environ.get("LANTERN_CHROMIUM", "").strip()
    if configured:
        return shutil.which(configured)
    return shutil.which("chromium") or shutil.which("chromium-browser")


def html_to_pdf(
    html: str,
    *,
    base_dir: Path | None = None,
    timeout: float = 120,
    executable: str | os.PathLike[str] | None = None,
) -> bytes:
    """Print a self-contained HTML document to PDF bytes (A4 when the page uses `PRINT_CSS`).

    `base_dir`, if given, is where relative URLs in the page resolve (a `<base>` element is
    inserted) — only local files, for example a logo; by default the page must need nothing outside
    itself. `executable` overrides the Chromium lookup (see the module docstring).

    Raises `PdfUnavailable` when there is no Chromium, `PdfFailed` when it fails or runs longer than
    `timeout` seconds (its process group is killed)."""
    browser = _resolve(executable)
    with tempfile.TemporaryDirectory(prefix="lantern-pdf-") as tmp:
        work = Path(tmp)
        page, out = work / "report.html", work / "report.pdf"
        page.write_text(_harden(html, base_dir), encoding="utf-8")
        command = [browser, *_flags(work / "profile"), f"--print-to-pdf={out}", page.as_uri()]
        stderr = _run(command, timeout=timeout, cwd=work)
        data = out.read_bytes() if out.exists() else b""
        if not data.startswith(b"%PDF"):
            raise PdfFailed("Chromium produced no PDF." + _tail(stderr))
        return data


def _resolve(executable: str | os.PathLike[str] | None) -> str:
    found = find_chromium() if executable is None else shutil.which(os.fspath(executable))
    if not found:
        where = f" (looked for {os.fspath(executable)!r})" if executable is not None else ""
        raise PdfUnavailable(f"PDF needs Chromium; install the Debian package chromium{where}.")
    return found


def _flags(profile: Path) -> Sequence[str]:
    return (
        "--headless",
        "--disable-gpu",
        "--no-sandbox",  # needed as root in a container; the page is our own escaped HTML, CSP-locked
        "--no-pdf-header-footer",
        f"--user-data-dir={profile}",  # a fresh profile: concurrent prints never share a lock
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # the page is self-contained; nothing leaves the host
    )


def _run(command: Sequence[str], *, timeout: float, cwd: Path) -> str:
    """Run Chromium in its own process group (the Debian launcher is a shell script that starts a
    browser, renderer and utility processes), killing the whole group on timeout."""
    try:
        process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise PdfUnavailable(f"PDF needs Chromium; install the Debian package chromium ({error}).") from error
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        _, stderr = process.communicate()
        raise PdfFailed(f"Chromium did not finish printing within {timeout:g} s." + _tail(stderr)) from None
    text = stderr.decode("utf-8", "replace")
    if process.returncode != 0:
        raise PdfFailed(f"Chromium exited with status {process.returncode}." + _tail(stderr))
    return text


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _tail(stderr: bytes | str) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line for line in text.splitlines() if line.strip() and not _NOISE.search(line)]
    tail = "\n".join(lines)[-STDERR_TAIL:]
    return f"\n{tail}" if tail else " (no error output)"


_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>", re.IGNORECASE)


def _harden(html: str, base_dir: Path | None) -> str:
    """Insert the CSP (and the <base>, if any) as the first elements of <head>, so they apply before
    anything they govern; without a <head>, just after the doctype (the parser then opens one)."""
    inserted = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
    if base_dir is not None:
        inserted += f'<base href="{escape(Path(base_dir).resolve().as_uri())}/">'
    head = _HEAD.search(html)
    if head:
        return html[: head.end()] + inserted + html[head.end() :]
    doctype = _DOCTYPE.match(html)
    if doctype:
        return html[: doctype.end()] + inserted + html[doctype.end() :]
    return inserted + html
