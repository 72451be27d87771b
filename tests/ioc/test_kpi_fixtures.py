"""Hand-worked fixtures for the 766 progress rule (docs/kpi.md §4 works them out)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.ioc.builders import at, make_dossier
from tests.ioc.conftest import FEB, JAN, ind
from tinhso.dossiers.models import Action, Channel
from tinhso.ioc.facts import verify
from tinhso.ioc.selectors import kpi_from_facts, kpi_from_raw

A = Action


def both(scope: str, period: tuple[dt.date, dt.date]) -> dict:
    facts = kpi_from_facts(scope, *period)
    raw = kpi_from_raw(scope, *period)
    assert facts == raw
    return facts


@pytest.fixture
def january(world):
    """Eight dossiers of the commune of Tân Phú (procedure: 3 working days)."""
    w = world
    kw = {"procedure": w.birth, "agency": w.commune_pc}
    d = {}
    # A: received Mon 5/1 09:00, due Thu 8/1 09:00, processed Wed 7/1: on time.
    d["A"] = make_dossier(**kw, events=[(at(2026, 1, 5), A.CREATE_DIRECT),
                                        (at(2026, 1, 7), A.APPROVE),
                                        (at(2026, 1, 8), A.RETURN_RESULT)],
                          channel=Channel.DIRECT)
    # B: same appointment, processed Mon 12/1: late.
    d["B"] = make_dossier(**kw, events=[(at(2026, 1, 5), A.CREATE_DIRECT),
                                        (at(2026, 1, 12), A.APPROVE)])
    # C: one supplement (Tue 6/1 09:00 → Mon 12/1 09:00) shifts the appointment from Thu 8/1
    # to Wed 14/1 09:00 (the 2 working days left); processed Tue 13/1: on time.
    d["C"] = make_dossier(**kw, events=[(at(2026, 1, 5), A.CREATE_DIRECT),
                                        (at(2026, 1, 6), A.REQUEST_SUPPLEMENT),
                                        (at(2026, 1, 12), A.SUPPLEMENT),
                                        (at(2026, 1, 13), A.APPROVE)])
    # D: two supplement requests: overdue whatever the dates.
    d["D"] = make_dossier(**kw, events=[(at(2026, 1, 5), A.CREATE_DIRECT),
                                        (at(2026, 1, 5, 10), A.REQUEST_SUPPLEMENT),
                                        (at(2026, 1, 5, 14), A.SUPPLEMENT),
                                        (at(2026, 1, 6, 10), A.REQUEST_SUPPLEMENT),
                                        (at(2026, 1, 6, 15), A.SUPPLEMENT),
                                        (at(2026, 1, 7), A.APPROVE)])
    # E: submitted online and refused at reception: never received, outside the base.
    d["E"] = make_dossier(**kw, events=[(at(2026, 1, 5), A.SUBMIT),
                                        (at(2026, 1, 6), A.REFUSE)])
    # F: received, then withdrawn after its appointment: excluded.
    d["F"] = make_dossier(**kw, events=[(at(2026, 1, 5), A.CREATE_DIRECT),
                                        (at(2026, 1, 20), A.WITHDRAW)])
    # G1: received Mon 26/1, due Thu 29/1, unfinished at 31/1: overdue at the period end.
    d["G1"] = make_dossier(**kw, events=[(at(2026, 1, 26), A.CREATE_DIRECT)])
    # G2: received Thu 29/1, due Tue 3/2: unfinished but within its time at 31/1.
    d["G2"] = make_dossier(**kw, events=[(at(2026, 1, 29), A.SUBMIT),
                                         (at(2026, 1, 29, 10), A.RECEIVE)])
    return d


def test_appointments_follow_the_contract(world, january):
    d = january
    assert d["A"].original_due_at == at(2026, 1, 8)
    assert d["C"].original_due_at == at(2026, 1, 14)
    assert d["C"].finished_at == at(2026, 1, 13)
    assert d["G2"].original_due_at == at(2026, 2, 3, 10)


def test_progress_january(world, january):
    doc = both("agency:000.01.22.H10", JAN)
    on_time = ind(doc, "ON_TIME_RATE")
    # Base: A, B, C, D finished in January + G1, G2 open at its end = 6; E refused and F
    # withdrawn are outside. On time: A, C (finished) + G2 (open, not yet due) = 3.
    assert (on_time["numerator"], on_time["denominator"]) == (3, 6)
    assert on_time["ratio"] == 0.5
    assert on_time["score"] == 10.0


def test_progress_february_judges_the_open_dossiers_again(world, january):
    # G1 and G2 are still open at the end of February and both past their appointment.
    doc = both("agency:000.01.22.H10", FEB)
    on_time = ind(doc, "ON_TIME_RATE")
    assert (on_time["numerator"], on_time["denominator"]) == (0, 2)


def test_tet_in_the_middle(world):
    # Received Fri 13/2/2026 10:00; Tết holidays 16–20/2: 3 working days end Wed 25/2 10:00.
    dossier = make_dossier(procedure=world.birth, agency=world.commune_pc_2,
                           events=[(at(2026, 2, 13, 10), A.CREATE_DIRECT),
                                   (at(2026, 2, 24, 15), A.APPROVE)])
    assert dossier.original_due_at == at(2026, 2, 25, 10)
    doc = both("agency:000.02.22.H10", FEB)
    assert (ind(doc, "ON_TIME_RATE")["numerator"], ind(doc, "ON_TIME_RATE")["denominator"]) \
        == (1, 1)


def test_facts_match_a_rebuild(world, january):
    assert verify() == []



def test_every_dossier_and_catalogue_indicator(world):
    """February at the commune of Phú Nghĩa: three dossiers worked out by hand."""
    w = world
    kw = {"agency": w.commune_pc_691}
    # P1: certified copy, online, paid online, electronic result, digitised, on time.
    make_dossier(procedure=w.copy, **kw, channel=Channel.ONLINE, fee_amount=2000,
                 components_digitized=True,
                 events=[(at(2026, 2, 2, 9), A.SUBMIT), (at(2026, 2, 2, 9, 30), A.RECEIVE),
                         (at(2026, 2, 2, 10), A.REQUEST_PAYMENT),
                         (at(2026, 2, 2, 11), A.PAY, None, {"online": True}),
                         (at(2026, 2, 2, 15), A.APPROVE, None, {"electronic": True}),
                         (at(2026, 2, 3, 8), A.RETURN_RESULT)])
    # P2: birth registration at the counter, paper result, on time.
    make_dossier(procedure=w.birth, **kw, channel=Channel.DIRECT,
                 events=[(at(2026, 2, 3), A.CREATE_DIRECT),
                         (at(2026, 2, 4), A.APPROVE, None, {"electronic": False})])
    # P3: certified copy at the counter, paid in cash, electronic result, late (due 5/2 09:00).
    make_dossier(procedure=w.copy, **kw, channel=Channel.DIRECT, fee_amount=2000,
                 events=[(at(2026, 2, 4), A.CREATE_DIRECT),
                         (at(2026, 2, 4, 10), A.REQUEST_PAYMENT),
                         (at(2026, 2, 4, 11), A.PAY, None, {"online": False}),
                         (at(2026, 2, 6), A.APPROVE, None, {"electronic": True})])
    # Catalogue: the copy procedure announced before it took effect and published within 5
    # working days; the birth procedure announced late and never published.
    import datetime as dt

    w.copy.effective_from, w.copy.announced_at = dt.date(2026, 2, 10), dt.date(2026, 2, 5)
    w.copy.published_at = dt.date(2026, 2, 10)
    w.copy.save()
    w.birth.effective_from, w.birth.announced_at = dt.date(2026, 2, 20), dt.date(2026, 2, 25)
    w.birth.save()

    doc = both("agency:000.01.24.H10", FEB)
    got = {code: (ind(doc, code)["numerator"], ind(doc, code)["denominator"],
                  ind(doc, code)["score"])
           for code in ("ON_TIME_RATE", "ONLINE_SUBMISSION_RATE", "ONLINE_PAYMENT_RATE",
                        "G5_E_RESULT", "G5_DIGITIZED", "G5_E_CERTIFIED_COPY",
                        "G3_ONLINE_PROCEDURES", "G3_ONLINE_IN_USE", "G4_PAYMENT_INTEGRATED",
                        "G1_RECORDS_COMPLETE", "G1_ANNOUNCED_ON_TIME", "G1_PUBLISHED_ON_TIME")}
    assert got == {
        "ON_TIME_RATE": (2, 3, 13.33),            # 20 × 2/3
        "ONLINE_SUBMISSION_RATE": (1, 3, 1.33),   # below the 50 % cap: 4 × 1/3
        "ONLINE_PAYMENT_RATE": (1, 2, 2.5),       # 5 × 1/2
        "G5_E_RESULT": (2, 3, 4.0),               # 6 × 2/3
        "G5_DIGITIZED": (1, 3, 1.33),             # 4 × 1/3 (cap 80 % not reached)
        "G5_E_CERTIFIED_COPY": (1, 1, 2.0),
        "G3_ONLINE_PROCEDURES": (2, 2, 4.0),
        "G3_ONLINE_IN_USE": (1, 2, 2.0),
        "G4_PAYMENT_INTEGRATED": (1, 1, 5.0),
        "G1_RECORDS_COMPLETE": (2, 2, 2.0),
        "G1_ANNOUNCED_ON_TIME": (1, 2, 3.0),
        "G1_PUBLISHED_ON_TIME": (1, 2, 2.0),
    }


def test_caps_give_full_marks(world):
    # Two of three dossiers online: 67 % ≥ the 50 % cap → the full 4 points.
    for channel in (Channel.ONLINE, Channel.ONLINE, Channel.DIRECT):
        make_dossier(procedure=world.birth, agency=world.commune_pc_2, channel=channel,
                     events=[(at(2026, 2, 2), A.CREATE_DIRECT)])
    doc = both("agency:000.02.22.H10", FEB)
    assert (ind(doc, "ONLINE_SUBMISSION_RATE")["ratio"], ind(doc, "ONLINE_SUBMISSION_RATE")
            ["score"]) == (0.6667, 4.0)


def test_satisfaction(world, january, monkeypatch):
    """G6: dossier satisfaction = 100 % − (overdue rate + share disliked or complained);
    petitions handled on time and their ratings."""
    from tests.ioc.builders import apply_event
    from tinhso.feedback import services as fb

    w = world
    # January base 6; overdue: B, D (finished late) + G1 (open, overdue) = 3.
    doc = both("agency:000.01.22.H10", JAN)
    assert (ind(doc, "G6_DOSSIER_SATISFACTION")["numerator"],
            ind(doc, "G6_DOSSIER_SATISFACTION")["denominator"]) == (3, 6)
    # A is rated "dissatisfied": one more unsatisfied dossier.
    apply_event(january["A"], at(2026, 1, 9), A.RATE, None, {"rating": -1})
    doc = both("agency:000.01.22.H10", JAN)
    assert ind(doc, "G6_DOSSIER_SATISFACTION")["numerator"] == 2
    assert ind(doc, "G6_DOSSIER_SATISFACTION")["score"] == 2.0   # 6 × 2/6, under the 90 % cap

    clock = {"now": at(2026, 1, 5, 8)}
    monkeypatch.setattr("tinhso.feedback.services._now", lambda: clock["now"])
    handler = __import__("tests.factories", fromlist=["x"]).make_official(w.commune_pc,
                                                                         "specialist")

    def petition():
        return fb.feedback_submit(acting_user=w.citizen, title="Góp ý", content="Nội dung",
                                  agency_code=w.commune_pc.code)

    p1, p2, p3, p4 = petition(), petition(), petition(), petition()  # due 26/1 08:00
    clock["now"] = at(2026, 1, 6)
    fb.feedback_refuse(acting_user=handler, feedback=p1, reason="Không thuộc thẩm quyền")
    clock["now"] = at(2026, 1, 20)
    fb.feedback_resolve(acting_user=handler, feedback=p2, resolution="Đã xử lý")
    clock["now"] = at(2026, 1, 28)
    fb.feedback_resolve(acting_user=handler, feedback=p3, resolution="Đã xử lý (trễ)")
    fb.feedback_rate(acting_user=w.citizen, feedback=p2, rating=1)
    fb.feedback_rate(acting_user=w.citizen, feedback=p3, rating=-1)
    # p4 is still open at the end of January and past its deadline.
    doc = both("agency:000.01.22.H10", JAN)
    assert (ind(doc, "G6_PETITION_ON_TIME")["numerator"],
            ind(doc, "G6_PETITION_ON_TIME")["denominator"]) == (2, 4)
    assert (ind(doc, "G6_PETITION_SATISFACTION")["numerator"],
            ind(doc, "G6_PETITION_SATISFACTION")["denominator"]) == (1, 2)
    assert p4.handle_due_at == at(2026, 1, 26, 8)
