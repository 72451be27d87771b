"""bench/ioc_replicate.py, which grows a benchmark database tenfold for the 10⁷ IOC run, must
leave facts that still equal a recomputation from the event log and the raw-table answers —
otherwise the 10⁷ figures in docs/benchmarks.md would measure a wrong database."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

from tests.ioc.builders import imported_dossier, random_dossier
from tests.ioc.test_facts_equal_raw import SCOPES, T0
from tinhso.dossiers.models import Dossier, DossierEvent
from tinhso.ioc.facts import verify
from tinhso.ioc.selectors import kpi_from_facts, kpi_from_raw

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from ioc_replicate import replicate  # noqa: E402


def test_replicated_database_keeps_facts_exact(world):
    w, rng = world, random.Random(7)
    pairs = [(w.birth, w.commune_pc), (w.copy, w.commune_pc_691), (w.land, w.branch),
             (w.paper, w.district_pc)]
    for _ in range(20):
        procedure, agency = rng.choice(pairs)
        start = T0 + dt.timedelta(days=rng.randint(0, 90), hours=rng.randint(0, 9))
        make = imported_dossier if rng.random() < 0.2 else random_dossier
        make(rng, procedure=procedure, agency=agency, start=start)
    events = DossierEvent.objects.count()
    before = {s: kpi_from_facts(s, dt.date(2025, 11, 1), dt.date(2026, 6, 30)) for s in SCOPES}

    replicate(3)

    assert Dossier.objects.count() == 60 and DossierEvent.objects.count() == 3 * events
    assert len(set(Dossier.objects.values_list("code", flat=True))) == 60
    assert verify() == []
    for scope in SCOPES:
        after = kpi_from_facts(scope, dt.date(2025, 11, 1), dt.date(2026, 6, 30))
        assert after == kpi_from_raw(scope, dt.date(2025, 11, 1), dt.date(2026, 6, 30)), scope
    # The counters really grew: the province's dossier-count indicators tripled.
    old, new = (denominators(before["legacy3:70"]),
                denominators(kpi_from_facts("legacy3:70", dt.date(2025, 11, 1),
                                            dt.date(2026, 6, 30))))
    assert old["ON_TIME_RATE"] > 0 and new["ON_TIME_RATE"] == 3 * old["ON_TIME_RATE"]
    assert new["ONLINE_SUBMISSION_RATE"] == 3 * old["ONLINE_SUBMISSION_RATE"]


def denominators(document: dict) -> dict[str, int]:
    return {i["code"]: i["denominator"] for g in document["groups"] for i in g["indicators"]}
