"""A real Lantern for end-to-end tests: a fresh database (SQLite file, or a new PostgreSQL database
when DATABASE_URL points at PostgreSQL), migrated and seeded with the `tiny` synthetic county
through the real `seed_demo` command, served by gunicorn on a free local port, driven by Debian's
Chromium through Playwright. Nothing is mocked."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("LANTERN_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _postgres_database(url: str) -> tuple[str, str]:
    """A new, empty database next to the one in `url`: (its url, its name)."""
    import psycopg

    name = f"lantern_e2e_{uuid.uuid4().hex[:10]}"
    parsed = urlparse(url)
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}")), name


def _drop_postgres_database(url: str, name: str) -> None:
    import psycopg

    admin = urlunparse(urlparse(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class LiveLantern:
    def __init__(self, base_url: str, env: dict[str, str]):
        self.base_url = base_url
        self.env = env

    def shell(self, code: str) -> str:
        """Run Python inside the served app's database (for test set-up lookups only)."""
        # The last line: Django's shell may print its own banner first.
        return _manage(self.env, "shell", "-v0", "-c", code).strip().splitlines()[-1]


@pytest.fixture(scope="session")
def live_lantern(tmp_path_factory) -> Iterator[LiveLantern]:
    workdir = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": "e2e-" + uuid.uuid4().hex,
        "LANTERN_DATA_DIR": str(workdir),
        "LANTERN_STATIC_ROOT": str(workdir / "static"),
    }
    base_db = os.environ.get("DATABASE_URL", "")
    pg_name = None
    if base_db.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"], pg_name = _postgres_database(base_db)
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'lantern.sqlite3'}"
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "collectstatic", "--noinput", "-v0")
    _manage(env, "seed_demo", "--size", "tiny", "--quiet")
    port = _free_port()
    log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 — closed when the server stops
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not start: {(workdir / 'gunicorn.log').read_text()}")
        yield LiveLantern(base_url, env)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
        if pg_name:
            _drop_postgres_database(base_db, pg_name)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (see README).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab; any console error (a CSP violation, a failed script) fails the test."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    # Failed responses are reported with their URL below; a refused sign-in answers 401 on purpose.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and r.status != 401 else None,
    )
    yield page
    context.close()
    assert errors == [], f"browser console errors: {errors}"
