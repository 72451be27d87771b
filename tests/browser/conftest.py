"""Headless Chromium (Debian's /usr/bin/chromium + chromedriver) driven by Selenium against
pytest-django's live server. In CI (``CI`` set) a missing browser fails the run; elsewhere the
browser tests are skipped with the install line."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("TINHSO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TINHSO_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
INSTALL_HINT = "apt-get update && apt-get install -y chromium chromium-driver"


def _missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.exists(path) or shutil.which(path)):
            return f"{path} not found ({INSTALL_HINT})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser_available() -> None:
    problem = _missing()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"Browser tests must run in CI: {problem}", pytrace=False)
        pytest.skip(problem)


def csp_violations(driver: object) -> list[str]:
    """Console messages of the current page in which Chromium reports a CSP violation (the log is
    read and cleared: call it after each page worth checking, or once at the end)."""
    entries = driver.get_log("browser")  # type: ignore[attr-defined]
    return [e["message"] for e in entries if "Content Security Policy" in e.get("message", "")]


@pytest.fixture
def browser(browser_available, tmp_path, request) -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="tinhso-chromium-", dir=tmp_path)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--lang=vi", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    # Headless Chromium sends "Accept-Language: en-US" whatever --lang says; the journeys are
    # those of a Vietnamese user.
    options.add_experimental_option("prefs", {"intl.accept_languages": "vi-VN,vi"})
    # The console log, to fail a journey whose page the Content-Security-Policy broke.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(3)
    driver.set_page_load_timeout(60)
    try:
        yield driver
        blocked = csp_violations(driver)
        if blocked:
            pytest.fail("the Content-Security-Policy blocked something on a page:\n"
                        + "\n".join(blocked), pytrace=False)
        if getattr(request.node, "browser_failed", False):
            # The page as it was when the test failed, kept with the other screenshots.
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
            driver.save_screenshot(str(SCREENSHOTS / f"{name}-FAILED.png"))
    finally:
        driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_failed = report.failed


@pytest.fixture
def shot(browser, request):
    """``shot("step")`` saves var/screenshots/<test>-<NN>-<step>.png (kept as CI artifacts)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
    counter = {"n": 0}

    def take(step: str) -> Path:
        counter["n"] += 1
        path = SCREENSHOTS / f"{base}-{counter['n']:02d}-{step}.png"
        browser.save_screenshot(str(path))
        return path

    return take
