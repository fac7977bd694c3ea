"""Browser fixtures: the app on a real port, one Chromium per session, a phone per test.

The server runs in a thread of this process, on the same database as the
``app`` fixture (so every browser test runs on SQLite and on PostgreSQL).
Data made with ``make`` in the test thread is committed before the browser
sees it; each request in the server thread gets its own session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from ..conftest import PASSWORD, missing

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # No internet in tests: any host but the live server fails at once
    # instead of waiting for a DNS timeout (e.g. the Chart.js CDN).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
# Generous for a loaded CI machine, far below Playwright's 30 s default.
TIMEOUT_MS = 10_000


class _QuietHandler(WSGIRequestHandler):
    """Keeps the request log out of the test output; errors are still logged."""

    def log_request(self, code="-", size="-") -> None:
        pass


class _InFlight:
    """WSGI middleware that counts the requests the app is still working on.

    A browser may abandon a request (a double click cancels the first
    navigation) while the server still runs it; tests wait for quiet before
    they look at the database.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.count = 0
        self.changed = threading.Condition()

    def __call__(self, environ, start_response):
        with self.changed:
            self.count += 1
        try:
            return self.app(environ, start_response)
        finally:
            with self.changed:
                self.count -= 1
                self.changed.notify_all()

    def wait_idle(self, timeout: float = TIMEOUT_MS / 1000) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.count == 0, timeout):
                raise AssertionError(f"{self.count} requests still running after {timeout} s")


@dataclass
class LiveServer:
    app: Flask
    server: BaseWSGIServer
    in_flight: _InFlight
    thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def wait_idle(self) -> None:
        self.in_flight.wait_idle()


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    """The app served on 127.0.0.1 at a free port, with CSRF protection on."""
    app.config["WTF_CSRF_ENABLED"] = True
    in_flight = _InFlight(app.wsgi_app)
    app.wsgi_app = in_flight
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(app=app, server=server, in_flight=in_flight, thread=thread)
    try:
        yield live
    finally:
        in_flight.wait_idle()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def chromium_path() -> str | None:
    configured = os.environ.get("TRACKER_TEST_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else None
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    executable = chromium_path()
    if executable is None:
        missing("Chromium not found: install Debian's chromium or set TRACKER_TEST_CHROMIUM")
    browser = playwright_instance.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def new_phone(browser, live_server):
    """``new_phone()`` opens a fresh phone-sized browser context and returns a page in it."""
    contexts = []

    def _new_phone():
        context = browser.new_context(base_url=live_server.url, **PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield _new_phone
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_phone):
    """A page in a fresh phone-sized browser context, logged in as nobody."""
    return new_phone()


@pytest.fixture
def screenshots(tmp_path_factory) -> Path:
    """Where tests put screenshots: $TRACKER_TEST_SCREENSHOTS, else a pytest tmp dir."""
    configured = os.environ.get("TRACKER_TEST_SCREENSHOTS")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


def submit_login(page, student_no: str, password: str = PASSWORD) -> None:
    """Fill and send the login form (the navbar has forms too: pick the right one)."""
    page.goto("/login")
    form = page.locator("form:has(input[name=student_no])")
    form.locator("input[name=student_no]").fill(student_no)
    form.locator("input[name=password]").fill(password)
    form.locator("[type=submit]").click()


@pytest.fixture
def browser_login(live_server):
    """``browser_login(page, student_no)`` logs in through the real form; lands on home."""
    from playwright.sync_api import expect

    def _login(page, student_no: str, password: str = PASSWORD):
        submit_login(page, student_no, password)
        page.wait_for_url(f"{live_server.url}/")
        expect(page.locator("[data-period=week]")).to_be_visible()
        return page

    return _login


NODE_ROOT = Path(__file__).resolve().parent / "node_modules_root"


def npm_file(package: str, relative: str) -> Path:
    """A file of an npm package, installed once into the git-ignored NODE_ROOT."""
    path = NODE_ROOT / "node_modules" / package / relative
    if not path.is_file():
        npm = shutil.which("npm")
        if npm is None:
            missing(f"npm not found: needed to install {package} for the browser tests")
        subprocess.run(  # noqa: S603 - fixed arguments
            [npm, "install", "--prefix", str(NODE_ROOT), "--no-audit", "--no-fund", package],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return path


AXE_PATH = "/test-vendor/axe.min.js"


@pytest.fixture(scope="session")
def axe_file() -> Path:
    return npm_file("axe-core", "axe.min.js")


@pytest.fixture
def axe_check(app, axe_file):
    """``axe_check(page)`` runs axe-core in the page and fails on serious or critical findings.

    The script is served by the live server itself, so the CSP's 'self' admits it.
    """
    from flask import send_file

    app.add_url_rule(AXE_PATH, "test_vendor_axe", lambda: send_file(axe_file))

    def _check(page) -> None:
        page.add_script_tag(url=AXE_PATH)
        found = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ` +
                          v.nodes.slice(0, 3).map(n => n.target).join(' | '))"""
        )
        assert not found, f"{page.url}: {found}"

    return _check
