"""Search over both registers (no diacritics, one typo per word), keyset paging, scoping,
exports (CSV, XLSX, the register as PDF) with retention periods."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from tests.correspondence.conftest import chain_to_issued
from tinhso.correspondence import exchange, exports, selectors
from tinhso.correspondence import services_in as inc

pytestmark = pytest.mark.django_db


def _fill(side, n=5):
    subjects = ["Về phòng chống dịch bệnh sốt xuất huyết", "Về kế hoạch chuyển đổi số năm 2027",
                "Về việc đôn đốc giải ngân vốn đầu tư công", "Về tổ chức Tết Nguyên đán",
                "Về tăng cường quản lý đất đai"]
    return [inc.incoming_register(acting_user=side.clerk, agency=side.agency, source="paper",
                                  sender_name="Văn phòng Chính phủ", number=str(100 + i),
                                  notation=f"{100 + i}/VPCP-KGVX", subject=subjects[i % 5],
                                  doc_type="CV") for i in range(n)]


def test_search_without_diacritics_with_typos_and_by_notation(sides):
    a, b = sides
    docs = _fill(a)
    _fill(b)

    def found(q):
        return [d.pk for d in selectors.incoming_register(a.clerk, query=q).items]

    assert found("chuyen doi so") == [docs[1].pk]
    assert found("Chuyển đổi số") == [docs[1].pk]
    assert found("chuyen doii so") == [docs[1].pk]          # an extra letter
    assert found("xuat huyt") == [docs[0].pk]               # a missing letter
    assert found("giai ngan von dau tu cong") == [docs[2].pk]
    assert found("giai ngon") == [docs[2].pk]               # a wrong letter
    assert found("102/VPCP") == [docs[2].pk]
    assert found("van phong chinh phu") == [d.pk for d in reversed(docs)]
    assert found("bao hiem xa hoi") == []


def test_keyset_pages_cover_everything_once(sides):
    a, _ = sides
    docs = _fill(a, 7)
    seen, cursor = [], None
    while True:
        page = selectors.incoming_register(a.clerk, cursor=cursor, limit=3)
        seen += [d.pk for d in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [d.pk for d in reversed(docs)]


def test_outgoing_register_search_and_scope(sides):
    a, b = sides
    doc = chain_to_issued(a, subject="Về việc ban hành quy chế văn thư lưu trữ")
    exchange.outgoing_release(acting_user=a.clerk, document=doc, agency_codes=[b.agency.code])
    assert [d.pk for d in selectors.outgoing_register(a.leader, query="quy che van thu").items
            ] == [doc.pk]
    assert selectors.outgoing_register(b.leader).items == []      # B sees its incoming copy
    assert len(selectors.incoming_register(b.leader, query="quy che").items) == 1
    assert selectors.incoming_register(a.leader, query="quy che").items == []
    today = doc.promulgated_on
    assert selectors.outgoing_register(a.leader, date_from=today + dt.timedelta(days=1)
                                       ).items == []


def test_exports_csv_xlsx_and_pdf(sides):
    from openpyxl import load_workbook

    a, _ = sides
    _fill(a, 3)
    chain_to_issued(a)
    data, ctype, name = exports.export(a.clerk, register="in", fmt="csv")
    text = data.decode("utf-8-sig")
    assert name == "so-van-ban-den.csv" and "Số đến" in text and "101/VPCP-KGVX" in text
    data, _, _ = exports.export(a.clerk, register="out", fmt="xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Số, ký hiệu" and rows[1][0] == "01/QĐ-UBND"
    assert rows[1][7] == "Vĩnh viễn"
    data, ctype, _ = exports.export(a.clerk, register="out", fmt="pdf")
    assert ctype == "application/pdf" and data.startswith(b"%PDF-")


def test_typo_pattern_escapes_regex_characters():
    pattern = selectors._typo_pattern("a.b(")
    import re

    assert re.search(pattern, "a.b(") and not re.search(pattern, "zzzz")


def test_a_number_finds_the_document_registered_under_it_first(sides):
    a, _ = sides
    docs = _fill(a, 5)
    # A subject that merely contains the digits must not crowd out the registered document.
    noise = inc.incoming_register(acting_user=a.clerk, agency=a.agency, source="paper",
                                  sender_name="Sở Tài chính", number="9",
                                  notation="9/STC-NS", doc_type="CV",
                                  subject=f"Về khoản chi {docs[2].incoming_number}00 đồng")
    wanted = docs[2]

    def found(q):
        return [d.pk for d in selectors.incoming_register(a.clerk, query=q).items]

    assert found(str(wanted.incoming_number)) == [wanted.pk]
    assert noise.pk in found("khoan chi")
    # A number nobody was registered under falls back to the text search.
    assert found("999999") == []
    assert found(f"{wanted.incoming_number}00") == [noise.pk]
