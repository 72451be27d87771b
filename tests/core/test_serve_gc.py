"""`tinhso serve` freezes the start-up objects of its server processes out of the garbage
collector's scans (decision 0028)."""

from __future__ import annotations

import gc
from unittest import mock

import pytest

from tinhso.core.management.commands import serve


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freeze_start_up_hides_what_lives_now_from_the_collector(unfrozen):
    assert gc.get_freeze_count() == 0
    serve.freeze_start_up()
    assert gc.get_freeze_count() > 1000  # Django and the test's imports: long-lived objects
    assert gc.get_threshold()[0] == 700  # the thresholds stay Python's


@pytest.mark.parametrize(("args", "frozen"), [([], True), (["--no-gc-freeze"], False)])
def test_every_server_process_freezes_unless_told_not_to(args, frozen):
    with mock.patch.object(serve, "_serve") as one, \
            mock.patch.object(serve, "_serve_processes") as many, \
            mock.patch.object(serve.signal, "signal"):
        serve.Command().run_from_argv(["tinhso", "serve", "--no-worker", *args])
        serve.Command().run_from_argv(["tinhso", "serve", "--no-worker", "--workers", "2",
                                       *args])
    assert one.call_args.args[2] is frozen
    assert many.call_args.args[5] is frozen


def test_the_children_of_a_multi_process_serve_get_the_choice():
    with mock.patch.object(serve.subprocess, "Popen") as popen, \
            mock.patch.object(serve, "_wait_any"):
        serve._serve_processes(2, "127.0.0.1", 0, 4, "", False)
    assert "--no-gc-freeze" in popen.call_args.args[0]
