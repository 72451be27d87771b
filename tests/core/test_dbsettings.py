"""`tinhso check --deploy --database default` warns of PostgreSQL settings too small for a
province, with the value found and the one recommended, and stays silent otherwise."""

from __future__ import annotations

import pytest
from django.db import connection

from tinhso.core import dbsettings

MIB = dbsettings.MIB


def test_values_are_read_in_pg_settings_units():
    assert dbsettings.as_number("16384", "8kB") == 128 * MIB
    assert dbsettings.as_number("1024", "MB") == 1024 * MIB
    assert dbsettings.as_number("300", "s") == 300
    assert dbsettings.as_number("15", "min") == 900
    assert dbsettings.human(128 * MIB, "bytes") == "128 MB"
    assert dbsettings.human(4096 * MIB, "bytes") == "4 GB"
    assert dbsettings.human(900, "seconds") == "15 min"


@pytest.mark.django_db
def test_small_settings_are_warned_of_on_postgresql(monkeypatch):
    if connection.vendor != "postgresql":
        assert dbsettings.postgres_settings_check() == []
        return
    huge = tuple((name, 1 << 50, kind) for name, _, kind in dbsettings.RECOMMENDED)
    monkeypatch.setattr(dbsettings, "RECOMMENDED", huge)
    warnings = dbsettings.postgres_settings_check()
    assert [w.id for w in warnings] == ["tinhso.W101", "tinhso.W102", "tinhso.W103"]
    assert "max_wal_size" in warnings[1].msg and "operations.md" in warnings[1].hint
    tiny = tuple((name, 0, kind) for name, _, kind in dbsettings.RECOMMENDED)
    monkeypatch.setattr(dbsettings, "RECOMMENDED", tiny)
    assert dbsettings.postgres_settings_check() == []
