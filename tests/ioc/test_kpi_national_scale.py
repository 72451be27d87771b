"""The 766 index on the national 100-point scale (issue 11): nominal group maxima, "no data"
indicators earn nothing, the data-covered score beside the total. Pure: no database."""

from __future__ import annotations

import datetime as dt

from tinhso.ioc.kpi import GROUPS, INDICATORS, NO_DATA, Value, build_index

DAY = dt.date(2026, 1, 1)


def test_groups_keep_their_nominal_maxima():
    assert [g.max for g in GROUPS] == [18, 20, 12, 10, 22, 18]
    assert sum(g.max for g in GROUPS) == 100
    for g in GROUPS:  # each group's indicators add up to the group's maximum
        assert sum(i.max for i in g.indicators) == g.max


def test_full_marks_everywhere_is_100():
    doc = build_index("70", DAY, DAY, {code: Value(1, 1) for code in INDICATORS})
    assert (doc["score"], doc["max"], doc["covered_max"], doc["covered_percent"]) == \
        (100, 100, 100, 100)


def test_no_data_earns_nothing_and_is_marked():
    values = {code: Value(1, 1) for code in INDICATORS}
    values["G1_NATIONAL_SYNC"] = NO_DATA        # no source: 6 points
    values["G6_PETITION_ON_TIME"] = Value(0, 0)  # nothing to judge in the period: 6 points
    doc = build_index("70", DAY, DAY, values)
    assert doc["score"] == 88 and doc["max"] == 100
    assert doc["covered_score"] == 88 and doc["covered_max"] == 88
    assert doc["covered_percent"] == 100
    g1, g6 = doc["groups"][0], doc["groups"][5]
    assert (g1["score"], g1["max"], g1["covered_max"]) == (12, 18, 12)
    assert (g6["score"], g6["max"], g6["covered_max"]) == (12, 18, 12)
    sync = next(i for i in g1["indicators"] if i["code"] == "G1_NATIONAL_SYNC")
    assert sync["no_data"] is True and sync["score"] is None and sync["max"] == 6


def test_a_group_without_any_data_and_an_empty_index():
    values = {code: Value(1, 2) for code in INDICATORS}
    values["ON_TIME_RATE"] = NO_DATA
    doc = build_index("70", DAY, DAY, values)
    progress = doc["groups"][1]
    assert progress["score"] is None and progress["no_data"] and progress["max"] == 20
    assert doc["covered_max"] == 80
    empty = build_index("70", DAY, DAY, {})
    assert empty["score"] is None and empty["covered_percent"] is None and empty["max"] == 100
    assert all(g["no_data"] for g in empty["groups"])
