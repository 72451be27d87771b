"""The fuzzer's data (fuzz_world.py): every lifecycle state is seeded, and the seeded values
reach schemathesis' configuration as dictionaries bound to the path parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.security.fuzz_world import BINDINGS, REAL_SHARE, fuzz_config, seed
from tinhso.dossiers.models import Dossier, Status
from tinhso.payments.models import Payment

CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.mark.django_db
def test_seed_reaches_every_lifecycle_state():
    world = seed()
    states = set(Dossier.objects.values_list("status", flat=True))
    assert states >= {Status.NEW, Status.RECEIVED, Status.PROCESSING, Status.PROCESSED,
                      Status.RETURNED, Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED}
    assert set(Payment.objects.values_list("status", flat=True)) >= {"requested", "paid"}
    assert set(world.tokens) == {"citizen", "specialist", "admin"}
    codes = world.values["dossier-codes"]
    assert sorted(codes) == sorted(Dossier.objects.values_list("code", flat=True))


@pytest.mark.django_db
def test_config_binds_the_seeded_values(tmp_path):
    from schemathesis.config import SchemathesisConfig

    world = seed()
    path = fuzz_config(CONFIG, world, tmp_path / "schemathesis.toml")
    config = SchemathesisConfig.from_path(str(path))
    project = config.projects.default
    assert set(project.dictionaries) == set(world.values)
    assert [e.value for e in project.dictionaries["dossier-codes"].entries] == \
        world.values["dossier-codes"]
    bound = [op for op in project.operations.operations if op.parameters]
    assert len(bound) == len(BINDINGS)
    binding = bound[0].parameters["path.code"]
    assert binding.dictionary == "dossier-codes" and binding.probability == REAL_SHARE
