"""Fixtures for browser tests: Debian's chromium, a fresh page per test, the fake site.

Reuse for end-to-end tests against the real service: put the tests in this folder and
override `base_url` (e.g. with a fixture that starts `homewidgets serve` and returns its
URL); `browser`, `page`, `page_errors` and the helpers in `pages.py` work unchanged.
The fake-site fixtures (`site`) are only needed by tests that change server state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fake_site import FakeSite
from pages import CHROMIUM, LAUNCH_ARGS, new_context
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

# The machine's two cores are shared with other suites: give assertions room to wait.
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """One chromium for the session; never `playwright install` (no downloads here)."""
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def fake_site() -> Iterator[FakeSite]:
    site = FakeSite().start()
    yield site
    site.stop()


@pytest.fixture
def site(fake_site: FakeSite) -> FakeSite:
    """The fake service, emptied: no stored homes, no recorded events."""
    fake_site.reset()
    return fake_site


@pytest.fixture
def base_url(site: FakeSite) -> str:
    """Where the page under test is served; override to test against the real service."""
    return site.url


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught page errors of the test's pages; the `page` fixture fails the test on any."""
    return []


@pytest.fixture
def page(browser: Browser, base_url: str, page_errors: list[str]) -> Iterator[Page]:
    """A desktop page in a fresh context (empty storage); fails the test on page errors."""
    context = new_context(browser, base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    yield page
    context.close()
    assert page_errors == [], f"uncaught errors in the page: {page_errors}"
