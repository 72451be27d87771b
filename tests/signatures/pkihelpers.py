"""Helpers shared by the signatures and documents tests: a PKI, officials with certificates."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone
from reportlab.pdfgen import canvas

from tests import factories
from tinhso.dossiers.models import ApplicantKind, Channel, Dossier, Status
from tinhso.signatures import services, signing


def init_pki(algorithm: str = "ec-p256") -> services.PkiInitResult:
    signing.forget_all()
    return services.pki_init(acting_user=None, algorithm=algorithm)


def ca_operator(agency: Any = None) -> Any:
    return factories.make_official(agency or factories.make_agency(), "province_admin")


def issue_personal(operator: Any, holder: Any, **kwargs: Any) -> Any:
    req = services.certificate_request(acting_user=operator, kind="personal",
                                       holder_user=holder, **kwargs)
    return services.certificate_issue(acting_user=operator, request=req).certificate


def simple_pdf(text: str = "Văn bản thử nghiệm") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 700, "Hello tinhso")
    c.setTitle(text)
    c.showPage()
    c.save()
    return buf.getvalue()


def make_dossier(agency: Any, procedure: Any, **extra: Any) -> Dossier:
    now = timezone.now()
    return Dossier.objects.create(
        code=extra.pop("code", f"{agency.code}-260105-0001"), procedure=procedure,
        agency=agency, unit=agency.unit, channel=Channel.DIRECT, status=Status.RECEIVED,
        applicant_kind=ApplicantKind.CITIZEN, applicant_id_number=factories.VALID_ID_NUMBER,
        applicant_name="Nguyễn Thị Bích Ngọc", applicant_phone="0912345678",
        applicant_address="Tổ 3, phường Tân Phú, thành phố Đồng Xoài",
        received_at=now, due_at=now + dt.timedelta(days=3),
        original_due_at=now + dt.timedelta(days=3), **extra,
    )
