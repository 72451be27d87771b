"""The demo units and agencies, loaded once per test that asks for them."""

from __future__ import annotations

import pytest

from tinhso.units.demo import load_agencies, load_units


@pytest.fixture
def demo_units(db: None) -> None:
    load_units()


@pytest.fixture
def demo_agencies(demo_units: None) -> None:
    load_agencies()
