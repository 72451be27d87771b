"""The one dispatcher from an action name to its service, shared by the API and the back office.

Before it there were two (``dossiers/api.py`` and ``backoffice/actions.py``) and they answered
the same mistake with different codes: a payment confirmed with none pending was
``PAYMENT_NOT_PENDING`` in the API and ``NO_PAYMENT_DUE`` in the back office, and an action not
allowed now was a code-less message in the back office. Now both parse their input (JSON or a
form) into :class:`ActionInput` and call :func:`dossier_act`; errors come from the lifecycle
guard or the service, so they are the same everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tinhso.accounts.models import User
from tinhso.core.errors import Conflict, NotFound, ValidationFailed
from tinhso.dossiers import lifecycle, selectors, services
from tinhso.dossiers.models import Action, Dossier


@dataclass(frozen=True)
class ActionInput:
    """Everything an action may take; each action reads the fields it needs."""

    note: str = ""
    reason: str = ""
    assignee_username: str | None = None
    assignee_id: int | None = None
    step_index: int | None = None
    amount: int | None = None
    payment_id: int | None = None
    online: bool = False
    reference: str = ""
    new_due_at: dt.datetime | None = None
    rating: int | None = None
    form_data: Any = None
    files: Sequence[tuple[str, Any]] = field(default_factory=tuple)


def _required(value: Any, name: str, vi: str) -> Any:
    if value is None:
        raise ValidationFailed("FIELD_REQUIRED", vi, f"{name} is required.", {"field": name})
    return value


def _assignee(user: User, dossier: Dossier, data: ActionInput) -> User | None:
    from tinhso.accounts.selectors import colleague_get

    if data.assignee_username:
        found = colleague_get(user=user, agency_id=dossier.agency_id,
                              username=data.assignee_username)
    elif data.assignee_id is not None:
        found = colleague_get(user=user, agency_id=dossier.agency_id, user_id=data.assignee_id)
    else:
        return None
    if found is None:
        raise ValidationFailed("INVALID_ASSIGNEE", "Không tìm thấy cán bộ được giao.",
                               "The assignee was not found in this agency.",
                               {"assignee": data.assignee_username or data.assignee_id})
    return found


def _pending_payment(user: User, dossier: Dossier, payment_id: int | None) -> Any:
    from tinhso.payments.selectors import payment_pending_for

    payment = payment_pending_for(user, dossier, payment_id)
    if payment is None:
        raise Conflict("PAYMENT_NOT_PENDING", "Không có khoản thanh toán đang chờ.",
                       "No payment is awaiting payment.", {"payment_id": payment_id})
    return payment


Runner = Callable[[User, Dossier, ActionInput, "int | None"], Any]


def _common(user: User, dossier: Dossier, version: int | None) -> dict[str, Any]:
    return {"acting_user": user, "dossier": dossier, "expected_version": version}


def _assign(user: User, dossier: Dossier, d: ActionInput, v: int | None) -> Any:
    assignee = _required(_assignee(user, dossier, d), "assignee", "Vui lòng chọn cán bộ được giao.")
    return services.dossier_assign(**_common(user, dossier, v), assignee=assignee, note=d.note)


def _pay(user: User, dossier: Dossier, d: ActionInput, v: int | None) -> Any:
    # Guard first: an officer without the role, or a dossier not awaiting payment, gets the
    # same answer as from the service, before the payment is looked up.
    lifecycle.guard(Action.PAY, user, dossier)
    return services.payment_confirm(acting_user=user,
                                    payment=_pending_payment(user, dossier, d.payment_id),
                                    online=d.online, reference=d.reference, amount=d.amount)


RUNNERS: dict[str, Runner] = {
    Action.RECEIVE: lambda u, o, d, v: services.dossier_receive(**_common(u, o, v), note=d.note),
    Action.REFUSE: lambda u, o, d, v: services.dossier_refuse(**_common(u, o, v),
                                                              reason=d.reason),
    Action.REQUEST_SUPPLEMENT: lambda u, o, d, v: services.dossier_request_supplement(
        **_common(u, o, v), reason=d.reason),
    Action.SUPPLEMENT: lambda u, o, d, v: services.dossier_supplement(
        acting_user=u, dossier=o, files=d.files, form_data=d.form_data, note=d.note),
    Action.ASSIGN: _assign,
    Action.FORWARD: lambda u, o, d, v: services.dossier_forward(
        **_common(u, o, v), assignee=_assignee(u, o, d), note=d.note),
    Action.RETURN_TO_STEP: lambda u, o, d, v: services.dossier_return_to_step(
        **_common(u, o, v), reason=d.reason,
        step_index=_required(d.step_index, "step_index", "Vui lòng chọn bước cần trả về.")),
    Action.REQUEST_PAYMENT: lambda u, o, d, v: services.dossier_request_payment(
        **_common(u, o, v), amount=d.amount, note=d.note),
    Action.PAY: _pay,
    Action.APPROVE: lambda u, o, d, v: services.dossier_approve(**_common(u, o, v), note=d.note),
    Action.RETURN_RESULT: lambda u, o, d, v: services.dossier_return_result(
        **_common(u, o, v), note=d.note),
    Action.STOP: lambda u, o, d, v: services.dossier_stop(**_common(u, o, v), reason=d.reason),
    Action.WITHDRAW: lambda u, o, d, v: services.dossier_withdraw(
        acting_user=u, dossier=o, reason=d.reason),
    Action.APOLOGIZE: lambda u, o, d, v: services.dossier_apologize(
        **_common(u, o, v), reason=d.reason,
        new_due_at=_required(d.new_due_at, "new_due_at", "Vui lòng nhập ngày hẹn mới.")),
    Action.RATE: lambda u, o, d, v: services.dossier_rate(
        acting_user=u, dossier=o,
        rating=_required(d.rating, "rating", "Vui lòng chọn mức đánh giá.")),
}
assert set(RUNNERS) == set(lifecycle.ACTIONS), "every action of the table has a runner"


def unknown_action(action: str) -> NotFound:
    return NotFound("Thao tác không tồn tại.", "Unknown action.", {"action": action},
                    code="UNKNOWN_ACTION")


def dossier_act(*, acting_user: User, dossier: Dossier, action: str, data: ActionInput,
                expected_version: int | None = None) -> Dossier:
    """Run ``action`` on ``dossier`` through its service; the dossier read again afterwards."""
    runner = RUNNERS.get(action)
    if runner is None:
        raise unknown_action(action)
    runner(acting_user, dossier, data, expected_version)
    return selectors.dossier_reload(acting_user, dossier)
