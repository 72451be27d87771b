"""IOC pages: access, content, drill-down consistency, exports, PDF, constant query counts."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.ioc.builders import at, make_dossier, random_dossier
from tests.ioc.conftest import JAN, ind
from tinhso.dossiers.models import Action
from tinhso.ioc.drilldown import drilldown_page
from tinhso.ioc.scopes import Directory, resolve_scope
from tinhso.ioc.selectors import kpi_from_facts

Q = "from=2026-01-01&to=2026-01-31"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def populate(world, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    pairs = [(world.birth, world.commune_pc), (world.birth, world.commune_pc_691),
             (world.land, world.dept), (world.copy, world.commune_pc_2)]
    for _ in range(n):
        procedure, agency = rng.choice(pairs)
        start = dt.datetime(2026, 1, 2, 8, tzinfo=dt.timezone(dt.timedelta(hours=7))) \
            + dt.timedelta(days=rng.randint(0, 25), hours=rng.randint(0, 8))
        random_dossier(rng, procedure=procedure, agency=agency, start=start)


def test_overview_for_the_province(world):
    populate(world, 12)
    res = login(world.admin).get(f"/ioc/?scope=legacy3:70&{Q}")
    assert res.status_code == 200
    html = res.content.decode()
    assert "Tỉnh Bình Phước" in html and "Chỉ số 766" in html
    assert "Thành phố Đồng Xoài" in html  # ranking of districts
    assert 'hx-trigger="every 60s"' in html
    panel = login(world.admin).get(f"/ioc/bang-dieu-hanh/?scope=legacy3:70&{Q}",
                                   HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and panel.content.decode().startswith("\n<div id=\"ioc-panel\"")


def test_overview_current_structure_and_wall_screen(world):
    populate(world, 6)
    res = login(world.admin).get(f"/ioc/?cau_truc=2&man_hinh=1&{Q}")
    html = res.content.decode()
    assert res.status_code == 200 and "ioc-wall" in html
    assert "Đồng Nai" in html and "cơ cấu 2 cấp" in html


def test_default_scope_and_rights(world):
    res = login(world.district_leader).get(f"/ioc/?{Q}")
    assert res.status_code == 200 and "Thành phố Đồng Xoài" in res.content.decode()
    assert login(world.district_leader).get(f"/ioc/?scope=70&{Q}").status_code == 403
    assert login(world.citizen).get("/ioc/").status_code == 403
    assert Client().get("/ioc/").status_code == 302


def test_drilldown_keyset_pages_cover_the_number(world):
    populate(world, 30, seed=7)
    directory = Directory()
    doc = kpi_from_facts("legacy3:70", *JAN)
    scope = resolve_scope("legacy3:70", directory)
    codes, cursor = [], None
    while True:
        page = drilldown_page(scope, directory, "received_online", *JAN, after=cursor,
                              per_page=4)
        codes += [r.dossier.code for r in page.rows]
        if not page.has_next:
            break
        cursor = page.next_cursor
    # Every procedure of the fixture is offered online, so the numerator is all online ones.
    assert len(codes) == len(set(codes)) == ind(doc, "ONLINE_SUBMISSION_RATE")["numerator"]
    res = login(world.admin).get(f"/ioc/ho-so/?scope=legacy3:70&{Q}&chi_tieu=received")
    assert res.status_code == 200
    assert login(world.admin).get(f"/ioc/ho-so/?scope=70&{Q}&chi_tieu=nope").status_code == 404


def test_drilldown_matches_progress_counts(world):
    populate(world, 25, seed=3)
    from tinhso.ioc.selectors import IndexContext, compute_index

    ctx = IndexContext.load()
    scope = resolve_scope("legacy3:70", ctx.directory)
    _, counters = compute_index(scope, "70", *JAN, ctx)
    for metric, value in (("finished_on_time", counters.finished_on_time),
                          ("finished_late", counters.finished_late),
                          ("open", counters.open_total), ("open_overdue", counters.open_overdue),
                          ("received", counters.received), ("refused", counters.refused),
                          ("eresult", counters.finished_eresult),
                          ("paid_online", counters.received_paid_online)):
        page = drilldown_page(scope, ctx.directory, metric, *JAN, per_page=1000)
        assert len(page.rows) == value, metric


def test_timeline(world):
    dossier = make_dossier(procedure=world.birth, agency=world.commune_pc_691,
                           events=[(at(2026, 1, 5), Action.CREATE_DIRECT),
                                   (at(2026, 1, 12), Action.APPROVE)])
    res = login(world.admin).get(f"/ioc/ho-so/{dossier.code}/")
    assert res.status_code == 200 and "trễ hạn" in res.content.decode()
    assert login(world.district_leader).get(f"/ioc/ho-so/{dossier.code}/").status_code == 404


def test_queues(world):
    from django.utils import timezone

    now = timezone.now()
    make_dossier(procedure=world.birth, agency=world.commune_pc,
                 events=[(now - dt.timedelta(days=10), Action.CREATE_DIRECT)])
    res = login(world.district_leader).get("/ioc/hang-doi/")
    assert res.status_code == 200
    assert res.context["q"]["overdue_count"] == 1
    assert res.context["q"]["overdue_by_agency"][0]["n"] == 1
    partial = login(world.district_leader).get("/ioc/hang-doi/", HTTP_HX_REQUEST="true")
    assert partial.content.decode().startswith('<div id="ioc-queues"')
    # The department's official does not see the commune's dossier.
    assert login(world.dept_official).get("/ioc/hang-doi/").context["q"]["overdue_count"] == 0


@pytest.mark.parametrize("table", ["chi-so", "theo-thang", "xep-hang", "ho-so", "hang-doi"])
def test_exports(world, table):
    populate(world, 8)
    client = login(world.admin)
    csv_res = client.get(f"/ioc/xuat/{table}.csv?scope=legacy3:70&{Q}&chi_tieu=received")
    assert csv_res.status_code == 200
    text = b"".join(csv_res.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    xlsx = client.get(f"/ioc/xuat/{table}.xlsx?scope=legacy3:70&{Q}&chi_tieu=received")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] and len(rows) == len(text.strip().splitlines())
    assert client.get(f"/ioc/xuat/{table}.pdf?scope=70").status_code == 404


def test_monthly_pdf(world):
    populate(world, 8)
    res = login(world.admin).get(f"/ioc/bao-cao.pdf?scope=legacy3:70&{Q}")
    assert res.status_code == 200 and res["Content-Type"] == "application/pdf"
    assert res.content.startswith(b"%PDF") and len(res.content) > 5000


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_pages_run_a_constant_number_of_queries(world, django_assert_max_num_queries):
    client = login(world.admin)
    urls = [f"/ioc/?scope=legacy3:70&{Q}", f"/ioc/?scope=current2:75&{Q}",
            f"/ioc/ho-so/?scope=legacy3:70&{Q}&chi_tieu=received", "/ioc/hang-doi/",
            f"/ioc/bang-dieu-hanh/?scope=689&{Q}"]
    populate(world, 5)
    small = [_queries(client, u) for u in urls]
    populate(world, 40, seed=2)
    large = [_queries(client, u) for u in urls]
    assert small == large
    with django_assert_max_num_queries(60):
        client.get(urls[0])


def test_series_and_ranking_equal_their_raw_reference(world):
    from django.utils import timezone

    from tinhso.ioc.dashboard import ranking, series_for_scope
    from tinhso.ioc.selectors import IndexContext

    rng = random.Random(11)
    now = timezone.now()
    pairs = [(world.birth, world.commune_pc), (world.copy, world.commune_pc_691),
             (world.land, world.dept), (world.paper, world.district_pc)]
    for _ in range(30):
        procedure, agency = rng.choice(pairs)
        random_dossier(rng, procedure=procedure, agency=agency,
                       start=now - dt.timedelta(days=rng.randint(1, 150), hours=rng.randint(0, 9)))
    ctx = IndexContext.load()
    for code in ("legacy3:70", "current2:75", "689", "agency:000.00.13.H10"):
        scope = resolve_scope(code, ctx.directory)
        assert series_for_scope(scope, code, 6, ctx) == series_for_scope(scope, code, 6, ctx,
                                                                          source="raw"), code
        start = timezone.localdate() - dt.timedelta(days=120)
        facts = ranking(world.admin, code, start, timezone.localdate(), ctx=ctx)["rows"]
        raw = ranking(world.admin, code, start, timezone.localdate(), ctx=ctx,
                      source="raw")["rows"]
        assert facts == raw, code
