"""Erasure of a citizen's personal data where the law allows it (ASVS V8.3; docs/privacy.md).

What goes: the account's identifying fields (name, ID number, phone, address, e-mail; the
username becomes ``da-xoa-<id>`` and the password unusable, the account inactive), unsent drafts
and their files (the media sweep removes the unreferenced files), the OIDC links, the
notifications addressed to the person and their preferences, API tokens.

What stays: dossiers, their events, payments, receipts, issued documents and the registers.
They are records of administrative procedures that the archives rules require the agencies to
keep (docs/privacy.md, "Retention"); they keep the applicant's name and number as submitted.
A citizen with a dossier still being processed cannot be erased (the agency needs to reach
them): ``ERASURE_BLOCKED``.

The erasure is one transaction with its audit row, which names the account id, the counts and
the reason — never the erased values.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from tinhso.accounts.models import AccountKind, ApiToken, User
from tinhso.accounts.services import audit_log_write
from tinhso.core.errors import Conflict, NotFound, ValidationFailed


def _find(id_number: str) -> User:
    user = (User._default_manager.filter(kind=AccountKind.CITIZEN, id_number=id_number.strip())
            .first())
    if user is None:
        raise NotFound("Không tìm thấy công dân có số định danh này",
                       "No citizen with this ID number")
    return user


def _open_dossiers(user: User) -> int:
    from tinhso.dossiers.models import END_OF_PROCESSING, Dossier, Status

    closed = {int(s) for s in END_OF_PROCESSING} | {int(Status.WITHDRAWN)}
    return Dossier._default_manager.filter(applicant=user).exclude(status__in=closed).count()


def _delete_personal_rows(user: User) -> dict[str, int]:
    from tinhso.notifications.models import AlertSubscription, Notification, NotificationPreference
    from tinhso.portal.models import Draft, OidcIdentity

    removed: dict[str, int] = {}
    for label, queryset in (
        ("drafts", Draft._default_manager.filter(owner=user)),
        ("oidc_links", OidcIdentity._default_manager.filter(user=user)),
        ("notifications", Notification._default_manager.filter(recipient=user)),
        ("notification_preferences", NotificationPreference._default_manager.filter(user=user)),
        ("alert_subscriptions", AlertSubscription._default_manager.filter(user=user)),
        ("api_tokens", ApiToken._default_manager.filter(user=user)),
    ):
        removed[label] = queryset.count()
        queryset.delete()
    return removed


def _anonymise(user: User) -> None:
    user.username = f"da-xoa-{user.pk}"
    user.full_name = user.first_name = user.last_name = ""
    user.id_number = user.tax_code = user.phone = user.address = user.email = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()


def citizen_erase(*, id_number: str, reason: str, dry_run: bool = False) -> dict[str, Any]:
    """Erase one citizen's personal data; return what was (or, with ``dry_run``, would be)
    removed and kept. ``reason`` (the request's reference) is required and audited."""
    from tinhso.dossiers.models import Dossier

    reason = " ".join((reason or "").split())
    if not 5 <= len(reason) <= 300:
        raise ValidationFailed("ERASURE_REASON_REQUIRED",
                               "Cần ghi lý do (số văn bản yêu cầu), 5–300 ký tự.",
                               "A reason (the request's reference) of 5–300 characters is "
                               "required.", {"field": "reason"})
    with transaction.atomic():
        user = User._default_manager.select_for_update().get(pk=_find(id_number).pk)
        open_count = _open_dossiers(user)
        if open_count:
            raise Conflict("ERASURE_BLOCKED",
                           f"Công dân còn {open_count} hồ sơ đang xử lý: chưa thể xoá dữ liệu.",
                           f"The citizen has {open_count} dossier(s) still being processed: "
                           "their data cannot be erased yet.", {"open_dossiers": open_count})
        report: dict[str, Any] = {
            "user": user.pk,
            "removed": _delete_personal_rows(user),
            "kept": {"dossiers": Dossier._default_manager.filter(applicant=user).count()},
            "dry_run": dry_run,
        }
        _anonymise(user)
        audit_log_write(actor=None, action="citizen_erase", object_type="user",
                        object_id=user.pk, data={"reason": reason, **report})
        if dry_run:
            transaction.set_rollback(True)
    return report
