"""The facts, kept current event by event, give exactly the index computed from the raw tables,
for random lifecycles, scopes and periods (many seeds); and a rebuild changes nothing."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tests.ioc.builders import imported_dossier, random_dossier
from tinhso.dossiers.models import Dossier
from tinhso.feedback import services as feedback_services
from tinhso.ioc.facts import rebuild, verify
from tinhso.ioc.selectors import kpi_from_facts, kpi_from_raw
from tinhso.outbox.dispatch import drain_outbox

SCOPES = [
    "legacy3:70", "current2:75", "689", "691", "legacy3:25001", "current2:26001", "26002",
    "agency:000.00.13.H10", "agency:000.01.22.H10", "agency:000.00.22.H10",
    "procedure:1.001193", "procedure:2.000815.000.00.00.H10", "field:ho-tich",
]
T0 = dt.datetime(2025, 12, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def random_period(rng: random.Random) -> tuple[dt.date, dt.date]:
    start = dt.date(2025, 11, 15) + dt.timedelta(days=rng.randint(0, 150))
    kind = rng.choice(["day", "week", "month", "span", "future"])
    if kind == "day":
        return start, start
    if kind == "week":
        return start, start + dt.timedelta(days=6)
    if kind == "month":
        first = start.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return first, nxt - dt.timedelta(days=1)
    if kind == "future":
        return start, dt.date(2030, 1, 1)
    return start, start + dt.timedelta(days=rng.randint(20, 200))


def populate(world, rng: random.Random, n: int) -> None:
    w = world
    pairs = [(w.birth, a) for a in (w.commune_pc, w.commune_pc_2, w.commune_pc_691)]
    pairs += [(w.copy, a) for a in (w.commune_pc, w.commune_pc_691)]
    pairs += [(w.land, w.dept), (w.land, w.branch), (w.paper, w.district_pc)]
    for _ in range(n):
        procedure, agency = rng.choice(pairs)
        start = T0 + dt.timedelta(days=rng.randint(0, 110), hours=rng.randint(0, 9),
                                  minutes=rng.randint(0, 59))
        if rng.random() < 0.15:
            dossier = imported_dossier(rng, procedure=procedure, agency=agency, start=start)
        else:
            dossier = random_dossier(rng, procedure=procedure, agency=agency, start=start)
        if rng.random() < 0.15:
            # A petition about the dossier (sometimes refused): "with a complaint" in G6.
            Dossier.objects.filter(pk=dossier.pk).update(applicant=w.citizen)
            petition = feedback_services.feedback_submit(
                acting_user=w.citizen, title="Phản ánh", content="Chậm trả kết quả",
                dossier_code=dossier.code)
            if rng.random() < 0.4:
                handler = w.admin
                feedback_services.feedback_refuse(acting_user=handler, feedback=petition,
                                                  reason="Trùng lặp")
    drain_outbox()  # the petitions reach the facts through the "ioc" consumer


@pytest.mark.parametrize("seed", range(12))
def test_facts_equal_raw(world, seed):
    rng = random.Random(seed)
    populate(world, rng, 30)
    for _ in range(6):
        scope = rng.choice(SCOPES)
        period = random_period(rng)
        assert kpi_from_facts(scope, *period) == kpi_from_raw(scope, *period), (scope, period)
    assert verify() == []


def test_rebuild_reproduces_incremental_facts(world):
    rng = random.Random(99)
    populate(world, rng, 40)
    periods = [random_period(rng) for _ in range(4)]
    before = [kpi_from_facts(s, *p) for s in SCOPES[:4] for p in periods]
    report = rebuild()
    assert report.dossiers == 40
    assert verify() == []
    assert [kpi_from_facts(s, *p) for s in SCOPES[:4] for p in periods] == before
