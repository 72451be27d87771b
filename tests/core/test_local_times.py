"""No raw ISO or UTC time on a page (issue 11): every time a person reads is local
(Asia/Ho_Chi_Minh) and Vietnamese (dd/mm/yyyy HH:MM).

The main pages are rendered with the demo's data (`tinhso demo`, a few hundred dossiers, its
agencies, accounts, correspondence) as the people who use them. A page fails on a raw ISO time
("2026-12-06T08:00"), an offset ("+00:00") or "UTC" anywhere a reader sees it; the
machine-readable ``<time datetime="…">`` attribute is the one place ISO belongs.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client

RAW = [re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:"), re.compile(r"\+00:00"), re.compile(r"\bUTC\b")]
MACHINE_ONLY = re.compile(r'\s(datetime|data-[a-z-]+(?<!data-plotly))="[^"]*"')


def raw_times(html: str) -> list[str]:
    visible = MACHINE_ONLY.sub("", html)
    found = []
    for pattern in RAW:
        for match in pattern.finditer(visible):
            found.append(visible[max(0, match.start() - 60):match.end() + 20])
    return found


def test_the_check_can_fail() -> None:
    assert raw_times('<td>2026-12-06T08:00:00+00:00</td>')
    assert raw_times("<p>Ký lúc 06/12/2026 08:00 UTC</p>")
    assert not raw_times('<time datetime="2026-12-06T08:00:00+07:00">06/12/2026 15:00</time>')


def _client(username: str) -> Client:
    from tinhso.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _pages() -> list[tuple[str, str, dict[str, str] | None]]:
    """(user, url, POST data) of the main pages, picked from the demo's own rows."""
    from tinhso.accounts.models import User
    from tinhso.correspondence.models import IncomingDocument, OutgoingDocument
    from tinhso.dossiers.models import Dossier, Status

    officer = User.objects.get(username="tanphu.tiepnhan")
    agency = officer.agency
    dossiers = Dossier.objects.filter(agency=agency)
    worked = (dossiers.filter(status__in=[Status.PROCESSED, Status.RETURNED])
              .order_by("-received_at").first() or dossiers.order_by("-id").first())
    assert worked is not None, "the demo gave this ward no dossier"
    citizen = User.objects.get(username="congdan")
    mine = Dossier.objects.filter(applicant=citizen).order_by("-id").first()
    pages: list[tuple[str, str, dict[str, str] | None]] = [
        ("tanphu.tiepnhan", "/mot-cua/hang-doi/to_receive/", None),
        ("tanphu.tiepnhan", "/mot-cua/hang-doi/overdue/", None),
        ("tanphu.tiepnhan", "/mot-cua/hang-doi/to_return/", None),
        ("tanphu.tiepnhan", f"/mot-cua/ho-so/{worked.code}/", None),
        ("tanphu.tiepnhan", f"/mot-cua/ho-so/{worked.code}/giay-tiep-nhan/", None),
        ("ioc.lanhdao", "/ioc/", None),
        ("ioc.lanhdao", "/ioc/ho-so/", None),
        ("ioc.lanhdao", f"/ioc/ho-so/{worked.code}/", None),
        ("ioc.lanhdao", "/ioc/hang-doi/", None),
        ("ioc.lanhdao", "/ioc/thong-bao/", None),
        ("ioc.lanhdao", "/hop-thu/", None),
        ("tanphu.tiepnhan", "/hop-thu/", None),
        ("congdan", "/hop-thu/", None),
        ("congdan", "/ho-so-cua-toi/", None),
        ("", "/tra-cuu/", {"code": worked.code, "id_number": worked.applicant_id_number}),
        ("stp.vanthu", "/van-ban/den/", None),
        ("stp.vanthu", "/van-ban/di/", None),
    ]
    if mine is not None:
        pages.append(("congdan", f"/ho-so-cua-toi/{mine.code}/", None))
    clerk = User.objects.get(username="stp.vanthu")
    incoming = IncomingDocument.objects.filter(agency=clerk.agency).order_by("-id").first()
    if incoming is not None:
        pages.append(("stp.vanthu", f"/van-ban/den/{incoming.pk}/", None))
    outgoing = OutgoingDocument.objects.filter(agency=clerk.agency).order_by("-id").first()
    if outgoing is not None:
        pages.append(("stp.vanthu", f"/van-ban/di/{outgoing.pk}/", None))
    return pages


def _live_journey() -> list[tuple[str, str, dict[str, str] | None]]:
    """One dossier lived through the services by the demo's people (reception, supplement,
    approval, its signed result), then every outbox consumer and the reminders run: the inbox,
    the IOC's alerts, the steps table and the verification page have rows of today."""
    from tests import factories
    from tests.dossiers.conftest import pdf
    from tests.signatures import pkihelpers
    from tinhso.accounts.models import User
    from tinhso.dossiers import services
    from tinhso.notifications.reminders import reminders_send
    from tinhso.outbox.dispatch import run_consumer
    from tinhso.outbox.registry import consumer_names

    pkihelpers.init_pki()
    people = {u.username: u for u in User.objects.filter(username__in=[
        "congdan", "tanphu.tiepnhan", "tanphu.chuyenvien", "tanphu.lanhdao"])}
    ward = people["tanphu.tiepnhan"].agency
    procedure = factories.make_procedure(agencies=[ward])
    dossier = services.dossier_submit_online(
        acting_user=people["congdan"], procedure_code=procedure.code, agency_code=ward.code,
        form_data={"ho_ten": "Nguyễn Thị Mai"}, files=[("to-khai", pdf())])
    if dossier is not None:
        dossier = services.dossier_receive(acting_user=people["tanphu.tiepnhan"], dossier=dossier)
        dossier = services.dossier_request_supplement(
            acting_user=people["tanphu.tiepnhan"], dossier=dossier, reason="Thiếu bản chụp")
    for name in consumer_names():
        while run_consumer(name):
            pass
    reminders_send()
    for name in consumer_names():
        while run_consumer(name):
            pass
    from tinhso.notifications.models import Notification

    # The inbox pages below have rows of this journey to show (with their times).
    assert Notification.objects.filter(recipient=people["congdan"]).exists()
    pages: list[tuple[str, str, dict[str, str] | None]] = []
    if dossier is not None:
        pages.append(("tanphu.tiepnhan", f"/mot-cua/ho-so/{dossier.code}/", None))
        from tinhso.documents.models import Document

        doc = Document.objects.filter(dossier=dossier).order_by("-id").first()
        if doc is not None:
            pages.append(("", f"/chu-ky-so/xac-minh/{doc.uuid}", None))
    return pages


@pytest.mark.slow
@pytest.mark.django_db
def test_no_raw_iso_or_utc_time_on_the_main_pages(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("demo", dossiers=300, no_progress=True)
    problems = []
    for username, url, data in _live_journey() + _pages():
        client = _client(username) if username else Client()
        response = client.post(url, data) if data is not None else client.get(url)
        if response.status_code in (301, 302):  # a page that lives under another address
            response = client.get(response["Location"])
        assert response.status_code == 200, (username, url, response.status_code)
        for snippet in raw_times(response.content.decode()):
            problems.append(f"{username or 'anonymous'} {url}: …{snippet}…")
    assert not problems, "\n".join(problems)
