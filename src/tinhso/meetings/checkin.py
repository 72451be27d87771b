"""Check-in at the door: one QR code per meeting, shown at the entrance (or printed).

The code holds a URL to ``/hop/<slug>/diem-danh/<token>/`` where the token is the meeting's slug
signed with the server's secret (``django.core.signing``, its own salt): a code cannot be made
for another meeting, and a photo of the code is useless to someone who is not a participant —
the page requires the participant to be signed in, and the check-in is accepted only from
``TINHSO_MEETINGS_CHECKIN_BEFORE_MINUTES`` before the start to the end of the meeting.
"""

from __future__ import annotations

import datetime as dt

import segno
from django.conf import settings
from django.core import signing
from django.urls import reverse

from tinhso.core.errors import Conflict
from tinhso.meetings.models import Meeting

SALT = "tinhso.meetings.checkin"


def token_for(meeting: Meeting) -> str:
    return signing.dumps({"m": meeting.slug}, salt=SALT, compress=True)


def token_meeting_slug(token: str) -> str | None:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return data.get("m") if isinstance(data, dict) else None


def checkin_url(meeting: Meeting) -> str:
    path = reverse("meetings:checkin", args=[meeting.slug, token_for(meeting)])
    return f"{settings.TINHSO_PUBLIC_URL.rstrip('/')}{path}"


def window(meeting: Meeting) -> tuple[dt.datetime, dt.datetime]:
    before = dt.timedelta(minutes=settings.TINHSO_MEETINGS_CHECKIN_BEFORE_MINUTES)
    return meeting.starts_at - before, meeting.ends_at


def check_window(meeting: Meeting, now: dt.datetime) -> None:
    opens, closes = window(meeting)
    if not (opens <= now <= closes):
        raise Conflict("CHECKIN_WINDOW",
                       "Chỉ điểm danh được từ trước giờ họp đến khi kết thúc cuộc họp.",
                       "Check-in is open only shortly before and during the meeting.",
                       {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()})


def qr_svg(meeting: Meeting) -> str:
    """The door's QR code as an SVG document (no inline style: served as an image)."""
    qr = segno.make(checkin_url(meeting), error="m")
    from io import BytesIO

    out = BytesIO()
    qr.save(out, kind="svg", scale=8, border=2, xmldecl=True)
    return out.getvalue().decode()
