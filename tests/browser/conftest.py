"""Browser tests: the web application served on loopback (waitress, in a thread) on this test's
database with the real model, driven by Playwright in Debian's Chromium (headless).

Without /usr/bin/chromium the tests are skipped, unless KEDJA_REQUIRE_BROWSER=1 (as in CI),
where a missing browser fails them. Each test leaves a screenshot in test-output/screenshots/."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from waitress.server import create_server

from api import create_app

from ..helpers import model_engine

CHROMIUM = os.environ.get("KEDJA_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("KEDJA_TEST_OUTPUT", "test-output")) / "screenshots"
PASSWORD = "rätt-lösen-1"
USERS = {  # username: (organisation, roles)
    "af": ("Arbetsförmedlingen", ["caseworker"]),
    "angered": ("Angered", ["caseworker"]),
    "owner": ("Upphandlingsbolaget", ["process_owner"]),
    "admin": ("Upphandlingsbolaget", ["admin"]),
}
# Flags that keep Chromium off the network: no update checks, sync or background requests.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# In Swedish, as a caseworker's browser is, so that a date field reads "åååå-mm-dd": on Linux
# Chromium takes its language from LANGUAGE (not --lang), and Debian's chromium-l10n holds the
# translation (without it, "mm/dd/yyyy").
CHROMIUM_ENV = {**os.environ, "LANGUAGE": "sv"}


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or os.environ.get("KEDJA_REQUIRE_BROWSER") == "1":
        return
    skip = pytest.mark.skip(reason=f"no browser at {CHROMIUM} (CI installs Debian's chromium)")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture
def engine(make_engine):
    return model_engine(make_engine, USERS, PASSWORD)[0]


@pytest.fixture
def base_url(engine):
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "browser-tests"})
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if os.environ.get("KEDJA_REQUIRE_BROWSER") == "1" and CHROMIUM == "/usr/bin/chromium" \
            and not Path("/usr/lib/chromium/locales/sv.pak").exists():
        pytest.fail("Debian's chromium-l10n is missing: the pages' date fields would show 'mm/dd/yyyy' "
                    "(apt-get install chromium-l10n)")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             env=CHROMIUM_ENV)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url, request):
    context = browser.new_context(base_url=base_url, locale="sv-SE", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_]+', '_', request.node.name)}.png"),
                    full_page=True)
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(password)
    page.get_by_role("button", name="Logga in").click()


def snap(page, name: str) -> None:
    """A screenshot of a moment worth seeing (besides the one each test leaves at its end)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
