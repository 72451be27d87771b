"""`tinhso serve` tunes the garbage collector of its server processes (decision 0028)."""

from __future__ import annotations

import gc

import pytest
from django.core.management import CommandError, call_command

from tinhso.core.management.commands import serve


@pytest.fixture
def restore_gc():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_tune_gc_freezes_start_up_and_raises_gen0(restore_gc):
    gc.unfreeze()
    serve.tune_gc(50_000)
    assert gc.get_threshold()[0] == 50_000
    assert gc.get_freeze_count() > 0  # the objects alive at start-up are out of the scans


def test_zero_keeps_pythons_defaults(restore_gc):
    gc.unfreeze()
    before = gc.get_threshold()
    serve.tune_gc(0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_default_is_tuned_and_a_negative_value_refused():
    assert serve.GC_GEN0 > 700  # Python's own default: the option would change nothing
    with pytest.raises(CommandError):
        call_command("serve", "--gc-gen0", "-1")
