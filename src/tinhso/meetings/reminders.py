"""Reminders before a meeting: each participant is told once per meeting and horizon."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from tinhso.meetings.invitations import context, link
from tinhso.meetings.models import Meeting, MeetingStatus


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """For each horizon H (hours), meetings starting within H hours from now that have not
    started yet; the notification's event key ``meeting:ID:remind:H`` makes it once."""
    from tinhso.notifications.services import notification_create, user_recipient

    now = now or timezone.now()
    sent = 0
    for hours in sorted(set(settings.TINHSO_MEETINGS_REMINDER_HOURS)):
        due = (Meeting.objects.filter(status=MeetingStatus.SCHEDULED, starts_at__gt=now,
                                      starts_at__lte=now + dt.timedelta(hours=hours))
               .select_related("agency").order_by("starts_at")[:1000])
        for meeting in due:
            # The 24 h reminder of a meeting scheduled 2 h ahead is pointless next to the 1 h
            # one: only the smallest horizon the meeting is within is sent.
            smaller = [h for h in settings.TINHSO_MEETINGS_REMINDER_HOURS if h < hours]
            if any(meeting.starts_at <= now + dt.timedelta(hours=h) for h in smaller):
                continue
            for participant in meeting.participants.select_related("user"):
                if notification_create(
                        event_key=f"meeting:{meeting.pk}:remind:{hours}",
                        kind="meeting_reminder", recipient=user_recipient(participant.user),
                        context={**context(meeting), "hours": hours,
                                 "short_link": link(meeting)},
                        link=link(meeting)):
                    sent += 1
    return sent
