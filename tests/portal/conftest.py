"""Fixtures of the portal tests: a procedure with a richer form, files, logged-in clients."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache

from tests import factories
from tinhso.accounts.models import Role

# Smallest valid files of the allowed types (checked by content, not by name).
PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
             b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")

RICH_SCHEMA = {
    "type": "object",
    "required": ["ho_ten", "ngay_sinh", "gioi_tinh", "me"],
    "properties": {
        "ho_ten": {"type": "string", "minLength": 1,
                   "title": "Họ, chữ đệm, tên người được khai sinh"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "gioi_tinh": {"type": "string", "enum": ["nam", "nu"], "enumNames": ["Nam", "Nữ"],
                      "title": "Giới tính"},
        "so_ban_sao": {"type": "integer", "minimum": 0, "maximum": 10,
                       "title": "Số bản sao trích lục"},
        "song_sinh": {"type": "boolean", "title": "Trẻ sinh đôi"},
        "me": {"type": "object", "title": "Thông tin người mẹ", "required": ["ho_ten"],
               "properties": {"ho_ten": {"type": "string", "minLength": 1, "title": "Họ tên mẹ"},
                              "nam_sinh": {"type": "integer", "minimum": 1900,
                                           "title": "Năm sinh"}}},
        "cha": {"type": "object", "title": "Thông tin người cha", "required": ["ho_ten"],
                "properties": {"ho_ten": {"type": "string", "minLength": 1,
                                          "title": "Họ tên cha"}}},
    },
}


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters live in the cache: every test starts with a clean slate.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rich_procedure(db, agency):
    return factories.make_procedure(agencies=[agency], name="Đăng ký khai sinh",
                                    form_schema=RICH_SCHEMA)


@pytest.fixture
def citizen_client(client, citizen):
    client.force_login(citizen)
    return client


@pytest.fixture
def receiver(agency):
    return factories.make_official(agency, Role.RECEIVER)


def pdf_upload(name: str = "to-khai.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png_file(name: str = "anh.png") -> io.BytesIO:
    handle = io.BytesIO(PNG_BYTES)
    handle.name = name
    return handle
