"""Browser tests: Playwright drives Debian's chromium against pytest-django's live server.

Skipped, with the reason printed in the summary, where chromium or Playwright is missing
(`make test` on a laptop without it); `.ci/run` installs chromium so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", Path(__file__).parent / "screenshots"))
# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told it is safe (our tests are synchronous code).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the dev extras are not installed
    sync_playwright = None


def _why_not() -> str | None:
    if sync_playwright is None:
        return "browser tests skipped: Playwright is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"browser tests skipped: no chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    if reason := _why_not():
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """pytest-django's live server, started with settings fit for plain HTTP on localhost.

    The server thread builds its middleware once, at start, so these must be in place before
    it starts (a function-scoped `settings` change would come too late for WhiteNoise)."""
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(
        STATIC_ROOT=static_root,
        SECURE_SSL_REDIRECT=False,
        # Plain HTTP: secure-only cookies would never come back.
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        LANGUAGE_COOKIE_SECURE=False,
        # The __Host- prefix needs Secure: the browser would refuse these cookies over HTTP.
        SESSION_COOKIE_NAME="sessionid",
        CSRF_COOKIE_NAME="csrftoken",
    ):
        server = LiveServer("localhost")
        yield server
        server.stop()


@pytest.fixture(autouse=True)
def _with_reference_data(transactional_db):
    """Live-server tests commit for real, so each runs on a transactional database; the
    catalogues a previous flush emptied are put back first (tests/conftest.py does it after
    every transactional test too)."""
    from tests.conftest import restore_reference_data

    restore_reference_data()


class Console:
    """Console errors and uncaught page errors, collected for one page."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def open_page(browser, live_server):
    """open_page(width=1280, locale="en") → (page, console): a fresh browser context, so each
    person in a scenario has their own cookies."""
    contexts = []

    def open_(width: int = 1280, locale: str = "en"):
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            locale=locale,
            base_url=live_server.url,
        )
        contexts.append(context)
        page = context.new_page()
        return page, Console(page)

    yield open_
    for context in contexts:
        context.close()


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    # By id: the labels are in the page's language.
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page) -> list[str]:
    """WCAG 2.x A/AA violations that axe-core finds on the page, one line each."""
    import axe_playwright_python

    source = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text()
    page.evaluate(source)
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] if node["target"] else "?" for node in v["nodes"][:5])
        for v in result["violations"]
    ]
