"""The IOC for a leader's eyes, in a real browser: a provincial leader lands on the IOC after
signing in, sees plotly charts (bundled plotly.js, served as a static file, nothing blocked by
the CSP) with titled axes and Vietnamese numbers, scope names instead of codes, and a wall
screen without the menu that refreshes itself."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from tests import factories
from tests.browser.test_journeys import PASSWORD, _css, _page_has, _wait, login
from tests.ioc.conftest import world as ioc_world  # noqa: F401  (the IOC test world)
from tests.ioc.test_dashboard import populate
from tinhso.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Q = "scope=legacy3:70&from=2026-01-01&to=2026-01-31"


@pytest.fixture
def leader(ioc_world):  # noqa: F811
    populate(ioc_world, 14, seed=3)
    user = factories.make_official(ioc_world.province_pc, Role.IOC_VIEWER,
                                   username="lanh-dao-tinh")
    user.password = make_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def _charts_drawn(count: int):
    def check(driver):
        return driver.execute_script(
            "return document.querySelectorAll('[data-plotly][data-drawn=\"1\"] svg.main-svg')"
            ".length > 0 && document.querySelectorAll('[data-plotly][data-drawn=\"1\"]')"
            ".length;") >= count
    return check


def test_leader_lands_on_the_ioc_with_charts(browser, shot, live_server, leader):
    base = live_server.url
    login(browser, base, leader.username)
    _wait(browser, lambda d: "/ioc/" in d.current_url)
    browser.get(f"{base}/ioc/?{Q}")
    _wait(browser, _page_has("Chỉ số 766"))
    _wait(browser, _charts_drawn(3), timeout=30)
    shot("ioc-overview")
    for index in range(3):
        browser.execute_script("document.querySelectorAll('[data-plotly]')[arguments[0]]"
                               ".scrollIntoView({block: 'center'});", index)
        shot(f"ioc-chart-{index + 1}")
    # Axes are titled, values are printed, the percent axis starts at 0.
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot .g-xtitle, "
        ".js-plotly-plot .g-ytitle, .js-plotly-plot .g-y2title')).map(e => e.textContent);")
    assert "Tháng" in titles and "Số hồ sơ tiếp nhận" in titles and "Điểm (%)" in titles
    ticks = browser.execute_script(
        "return Array.from(document.querySelectorAll('.js-plotly-plot .y2tick text'))"
        ".map(e => e.textContent);")
    assert ticks and ticks[0] == "0%"
    # The scope is named, never shown as a code.
    text = browser.execute_script("return document.body.innerText;")
    assert "Tỉnh Bình Phước" in text and "legacy3:70" not in text
    assert _css(browser, "#scope option:checked").text == "Tỉnh Bình Phước"
    # plotly.js came from this server, as a static file.
    src = _css(browser, "script[src*='plotly.min.js']").get_attribute("src")
    assert src.startswith(base + "/static/")


def test_wall_screen_has_no_menu_and_refreshes_itself(browser, shot, live_server, leader):
    base = live_server.url
    login(browser, base, leader.username)
    browser.get(f"{base}/ioc/?{Q}&man_hinh=1")
    _wait(browser, _page_has("Chỉ số 766"))
    _wait(browser, _charts_drawn(3), timeout=30)
    shot("ioc-wall")
    assert browser.execute_script("return document.querySelectorAll('nav.nav-wide a').length;") \
        == 0
    assert "ioc-wall" in _css(browser, "body").get_attribute("class")
    panel = _css(browser, "#ioc-panel")
    assert panel.get_attribute("hx-trigger").startswith("every ")
    assert "man_hinh=1" in panel.get_attribute("hx-get")
    assert _css(browser, "meta[http-equiv=refresh]").get_attribute("content")
    # What the poll does (run now rather than wait a minute): the panel is replaced and its
    # charts drawn again.
    browser.execute_script(
        "document.querySelector('#ioc-panel').setAttribute('data-old', '1');"
        "htmx.trigger(document.querySelector('#ioc-panel'), 'every');"
        "htmx.ajax('GET', document.querySelector('#ioc-panel').getAttribute('hx-get'),"
        " {target: '#ioc-panel', swap: 'outerHTML'});")
    _wait(browser, lambda d: d.execute_script(
        "var p = document.querySelector('#ioc-panel'); return p && !p.hasAttribute('data-old');"))
    _wait(browser, _charts_drawn(3), timeout=30)
    shot("ioc-wall-refreshed")
