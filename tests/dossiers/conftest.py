"""Fixtures for the dossier lifecycle: one agency with its officers, a citizen, a procedure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# A tiny but real PDF (magic bytes are what the type check reads).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def pdf(name: str = "to-khai.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


@pytest.fixture
def officers(agency):
    return {
        "receiver": factories.make_official(agency, "receiver", username="tiepnhan"),
        "specialist": factories.make_official(agency, "specialist", username="chuyenvien"),
        "leader": factories.make_official(agency, "leader", username="lanhdao"),
    }


@pytest.fixture
def outsider(other_agency):
    return factories.make_official(other_agency, "receiver", "specialist", "leader",
                                   username="coquankhac")


@pytest.fixture
def media_root(tmp_path, settings) -> Iterator[str]:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield settings.MEDIA_ROOT


class Clock:
    """Moves the services' notion of now (tinhso.dossiers.services._common.now)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, value: dt.datetime) -> None:
        self.now = value


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(dt.datetime(2026, 3, 2, 8, 0, tzinfo=VN))  # a Monday morning
    monkeypatch.setattr("tinhso.dossiers.services._common.now", clock)
    return clock
