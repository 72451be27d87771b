"""Invitations and reminders reach participants in the app (notifications) and, when the
agency has an official address, by official mail with an iCalendar (.ics, RFC 5545) invitation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tinhso.meetings.models import Meeting


def link(meeting: Meeting) -> str:
    return f"{settings.TINHSO_PUBLIC_URL.rstrip('/')}" \
           f"{reverse('meetings:detail', args=[meeting.slug])}"


def when_text(meeting: Meeting) -> str:
    start, end = timezone.localtime(meeting.starts_at), timezone.localtime(meeting.ends_at)
    return f"{start:%H:%M} {start:%d/%m/%Y} – {end:%H:%M} {end:%d/%m/%Y}"


def context(meeting: Meeting) -> dict[str, Any]:
    return {"title": meeting.title, "agency": meeting.agency.name, "when": when_text(meeting),
            "place": meeting.place or "—", "video": meeting.video_url or "—",
            "reason": meeting.title}


def _ics_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with a leading space."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for ch in line:
        encoded = ch.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def ics(meeting: Meeting, *, organiser: str, attendees: list[str]) -> bytes:
    """A METHOD:REQUEST calendar invitation for the meeting."""
    def utc(value: dt.datetime) -> str:
        return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    domain = organiser.rsplit("@", 1)[-1]
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tinhso//meetings//VI", "METHOD:REQUEST",
        "CALSCALE:GREGORIAN", "BEGIN:VEVENT", f"UID:{meeting.slug}@{domain}",
        f"DTSTAMP:{utc(timezone.now())}", f"DTSTART:{utc(meeting.starts_at)}",
        f"DTEND:{utc(meeting.ends_at)}", f"SUMMARY:{_ics_text(meeting.title)}",
        f"LOCATION:{_ics_text(meeting.place or meeting.video_url)}",
        f"DESCRIPTION:{_ics_text(meeting.description + chr(10) + link(meeting))}",
        f"URL:{link(meeting)}",
        f"ORGANIZER;CN={_ics_text(meeting.agency.name)}:mailto:{organiser}",
        *[f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{a}" for a in attendees],
        "STATUS:CONFIRMED", "SEQUENCE:0", "END:VEVENT", "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode()


def invitations_send(*, meeting: Meeting, acting_user: Any) -> int:
    """In-app invitations to every participant; one official mail with the .ics to those with
    an e-mail address (when the agency has an official address). Inside the caller's
    transaction; returns the number of in-app invitations."""
    from tinhso.mail.services import MailAttachment, agency_address, mail_send
    from tinhso.notifications.services import notification_create, user_recipient

    people = [p.user for p in meeting.participants.select_related("user")]
    organiser = agency_address(meeting.agency)
    made = 0
    for user in people:
        recipient = user_recipient(user)
        if organiser and user.email:
            # The official mail below carries the invitation (with the .ics): not a second
            # e-mail from the notifications app.
            recipient.channels &= {"in_app"}
        if notification_create(event_key=f"meeting:{meeting.pk}:invited", kind="meeting_invited",
                               recipient=recipient, context=context(meeting),
                               link=link(meeting), sms=False):
            made += 1
    emails = sorted({u.email.lower() for u in people if u.email})
    if organiser and emails:
        from tinhso.notifications.texts import render

        text = render("meeting_invited", "vi", {**context(meeting), "link": link(meeting)})
        mail_send(agency=meeting.agency, to=emails, subject=text.title, body=text.body,
                  attachments=[MailAttachment("moi-hop.ics", "text/calendar",
                                              ics(meeting, organiser=organiser,
                                                  attendees=emails))],
                  acting_user=acting_user, source=f"meeting:{meeting.pk}")
    return made
