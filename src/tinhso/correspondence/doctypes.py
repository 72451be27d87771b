"""Document types of Decree 30/2020/NĐ-CP (Appendix III: names and abbreviations) and the
retention period of each (Circular 10/2022/TT-BNV — figures UNCONFIRMED, see
docs/correspondence.md#retention).

An abbreviation appears in the notation: ``123/QĐ-UBND`` is decision no. 123 of a People's
Committee. An administrative letter (công văn) has no type abbreviation: its notation is the
agency's abbreviation and the drafting unit's, ``45/UBND-VP``.
"""

from __future__ import annotations

from django.db import models


class DocType(models.TextChoices):
    CONG_VAN = "CV", "Công văn"
    NGHI_QUYET = "NQ", "Nghị quyết"
    QUYET_DINH = "QĐ", "Quyết định"
    CHI_THI = "CT", "Chỉ thị"
    QUY_CHE = "QC", "Quy chế"
    QUY_DINH = "QyĐ", "Quy định"
    THONG_CAO = "TC", "Thông cáo"
    THONG_BAO = "TB", "Thông báo"
    HUONG_DAN = "HD", "Hướng dẫn"
    CHUONG_TRINH = "CTr", "Chương trình"
    KE_HOACH = "KH", "Kế hoạch"
    PHUONG_AN = "PA", "Phương án"
    DE_AN = "ĐA", "Đề án"
    DU_AN = "DA", "Dự án"
    BAO_CAO = "BC", "Báo cáo"
    BIEN_BAN = "BB", "Biên bản"
    TO_TRINH = "TTr", "Tờ trình"
    HOP_DONG = "HĐ", "Hợp đồng"
    CONG_DIEN = "CĐ", "Công điện"
    BAN_GHI_NHO = "BGN", "Bản ghi nhớ"
    BAN_THOA_THUAN = "BTT", "Bản thỏa thuận"
    GIAY_UY_QUYEN = "GUQ", "Giấy ủy quyền"
    GIAY_MOI = "GM", "Giấy mời"
    GIAY_GIOI_THIEU = "GGT", "Giấy giới thiệu"
    GIAY_NGHI_PHEP = "GNP", "Giấy nghỉ phép"
    PHIEU_GUI = "PG", "Phiếu gửi"
    PHIEU_CHUYEN = "PC", "Phiếu chuyển"
    PHIEU_BAO = "PB", "Phiếu báo"


# Years to keep; 0 = permanently (vĩnh viễn). Defaults for an agency's own documents.
RETENTION_YEARS: dict[str, int] = {
    DocType.NGHI_QUYET: 0, DocType.QUYET_DINH: 0, DocType.CHI_THI: 0, DocType.QUY_CHE: 0,
    DocType.QUY_DINH: 0, DocType.DE_AN: 0, DocType.DU_AN: 0, DocType.HOP_DONG: 20,
    DocType.BAN_GHI_NHO: 20, DocType.BAN_THOA_THUAN: 20,
    DocType.KE_HOACH: 20, DocType.CHUONG_TRINH: 20, DocType.PHUONG_AN: 20,
    DocType.BAO_CAO: 20, DocType.TO_TRINH: 20, DocType.HUONG_DAN: 20, DocType.BIEN_BAN: 20,
    DocType.THONG_BAO: 10, DocType.THONG_CAO: 10, DocType.CONG_VAN: 10, DocType.CONG_DIEN: 10,
    DocType.GIAY_UY_QUYEN: 10, DocType.GIAY_MOI: 5, DocType.GIAY_GIOI_THIEU: 5,
    DocType.GIAY_NGHI_PHEP: 5, DocType.PHIEU_GUI: 5, DocType.PHIEU_CHUYEN: 5,
    DocType.PHIEU_BAO: 5,
}


def retention_label(doc_type: str) -> str:
    years = RETENTION_YEARS.get(doc_type, 10)
    return "Vĩnh viễn" if years == 0 else f"{years} năm"


def retain_until(doc_type: str, year: int) -> int | None:
    """The last year the document is kept (None: permanently); counted from the year after."""
    years = RETENTION_YEARS.get(doc_type, 10)
    return None if years == 0 else year + years


def type_label(doc_type: str) -> str:
    try:
        return DocType(doc_type).label
    except ValueError:
        return doc_type


def notation(number: int, doc_type: str, agency_abbr: str, unit_abbr: str = "") -> str:
    """``123/QĐ-UBND``; a letter: ``45/UBND-VP`` (Decree 30/2020, Appendix I, item II.3)."""
    shown = f"{number:02d}"  # numbers below 10 are written 01 … 09
    if doc_type == DocType.CONG_VAN:
        tail = f"{agency_abbr}-{unit_abbr}" if unit_abbr else agency_abbr
        return f"{shown}/{tail}"
    return f"{shown}/{doc_type}-{agency_abbr}"
