"""The demo's traced lots: three crops, every lot's journey complete and provable."""

from __future__ import annotations

import pytest

from tests.signatures.pkihelpers import init_pki
from tinhso.trace.demo import demo_lots, load_trace_demo
from tinhso.trace.models import Event, LedgerHead
from tinhso.trace.selectors import lot_journey
from tinhso.trace.verify import verify_log

pytestmark = pytest.mark.django_db


def test_demo_traces_cashew_pepper_and_rubber(province) -> None:
    init_pki()
    made = load_trace_demo()
    assert made == Event.objects.count() == 3 * 6 + 3 * 5 + 3 * 6
    assert load_trace_demo() == 0  # idempotent
    assert LedgerHead.objects.get().tree_size == made
    lots = demo_lots()
    assert len(lots) == 9
    crops = set()
    for gtin, lot in lots:
        journey = lot_journey(gtin=gtin, lot=lot)
        assert journey["found"] and journey["origin"] is not None
        assert journey["certificates"]
        crops.add(journey["product"]["crop"])
    assert crops == {"cashew", "pepper", "rubber"}
    assert verify_log().ok
