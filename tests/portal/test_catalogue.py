"""Public catalogue pages: search without diacritics, browse, a procedure's facts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_home_lists_popular_procedures_and_fields(client, procedure):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đăng ký khai sinh" in html
    assert "Hộ tịch" in html
    assert 'class="skip-link"' in html and 'href="#main"' in html


def test_search_ignores_diacritics_and_case(client, agency):
    factories.make_procedure(agencies=[agency], name="Đăng ký khai sinh")
    factories.make_procedure(agencies=[agency], name="Cấp giấy phép xây dựng")
    response = client.get(reverse("portal:procedures"), {"q": "DANG KY khai sinh"})
    html = response.content.decode()
    assert "Đăng ký khai sinh" in html
    assert "Cấp giấy phép xây dựng" not in html


def test_search_filters_by_field_and_online_level(client, agency):
    factories.make_procedure(agencies=[agency], name="Chứng thực bản sao", online_level="none")
    factories.make_procedure(agencies=[agency], name="Đăng ký kết hôn", online_level="full")
    html = client.get(reverse("portal:procedures"), {"muc_do": "full"}).content.decode()
    assert "Đăng ký kết hôn" in html and "Chứng thực bản sao" not in html
    html = client.get(reverse("portal:procedures"), {"linh_vuc": "khong-co"}).content.decode()
    assert "Đăng ký kết hôn" not in html


def test_htmx_search_returns_only_the_results_fragment(client, procedure):
    response = client.get(reverse("portal:procedures"), {"q": "khai sinh"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    html = response.content.decode()
    assert 'id="results"' in html and "<html" not in html


def test_browse_by_agency(client, procedure, agency):
    html = client.get(reverse("portal:agencies")).content.decode()
    assert agency.name in html
    html = client.get(reverse("portal:procedures"), {"co_quan": agency.code}).content.decode()
    assert procedure.name in html


def test_procedure_page_shows_documents_time_fee_and_where(client, agency):
    procedure = factories.make_procedure(agencies=[agency], fee=150000, processing_days="3")
    html = client.get(reverse("portal:procedure", args=[procedure.code])).content.decode()
    assert "Tờ khai" in html
    assert "3 ngày làm việc" in html
    assert "150.000 đ" in html
    assert agency.name in html
    assert "Nộp hồ sơ trực tuyến" in html


def test_procedure_without_online_service_has_no_submit_button(client, agency):
    procedure = factories.make_procedure(agencies=[agency], online_level="none")
    html = client.get(reverse("portal:procedure", args=[procedure.code])).content.decode()
    assert "Nộp hồ sơ trực tuyến</button>" not in html


def test_unknown_procedure_is_404(client, db):
    assert client.get(reverse("portal:procedure", args=["9.999999"])).status_code == 404


def test_pages_render_in_english(client, procedure):
    client.post(reverse("portal:set_language"), {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "Which procedure do you need?" in html and "Skip to main content" in html
    html = client.get(reverse("portal:procedure", args=[procedure.code])).content.decode()
    assert "Documents to prepare" in html


def test_vietnamese_is_the_default(client, procedure):
    html = client.get("/").content.decode()
    assert 'lang="vi"' in html and "Bạn cần làm thủ tục gì?" in html


def test_every_portal_string_has_an_english_translation():
    from pathlib import Path

    import tinhso

    po = Path(tinhso.__file__).parent / "locale" / "en" / "LC_MESSAGES" / "django.po"
    blocks = po.read_text(encoding="utf-8").split("\n\n")[1:]  # after the header
    untranslated = []
    for block in blocks:
        lines = [line for line in block.splitlines() if line and not line.startswith("#")]
        for i, line in enumerate(lines):
            if line.startswith("msgstr") and line.endswith('""'):
                following = lines[i + 1] if i + 1 < len(lines) else ""
                if not following.startswith('"'):
                    untranslated.append(block)
    assert untranslated == []
    assert "#, fuzzy" not in "\n\n".join(blocks)
    assert po.with_suffix(".mo").exists()


def test_error_pages_use_the_shared_look(client, db):
    response = client.get("/thu-tuc/khong-co/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Không tìm thấy trang" in html and 'class="skip-link"' in html


def test_procedure_page_words_a_same_day_or_hours_deadline(client, agency):
    copy = factories.make_procedure(agencies=[agency], processing_days="1",
                                    deadline_kind="same_day", name="Chứng thực bản sao")
    html = client.get(reverse("portal:procedure", args=[copy.code])).content.decode()
    assert "Trong ngày (nhận sau 15:00: ngày làm việc tiếp theo)" in html
    assert "1 ngày làm việc" not in html
    many = factories.make_procedure(agencies=[agency], processing_days="2",
                                    deadline_kind="hours", processing_hours="12",
                                    name="Chứng thực nhiều bản")
    html = client.get(reverse("portal:procedure", args=[many.code])).content.decode()
    assert "12 giờ làm việc" in html
