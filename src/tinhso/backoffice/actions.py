"""The officer actions of the dossier page: one form per action, and the service it calls.

Each action has a confirmation form. Where the law asks for a reason (refusal — form 03,
supplement request — form 02, return to an earlier step, stop — form 05, apology — form 04) the
reason is required. The form carries the dossier's version so a concurrent change gives a clear
409 instead of overwriting someone else's work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import User
from tinhso.accounts.selectors import colleagues_with_role
from tinhso.dossiers.dispatch import ActionInput, dossier_act
from tinhso.dossiers.models import Dossier
from tinhso.dossiers.templates import effective_template


class ActionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, dossier: Dossier, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dossier = dossier
        self.user = user
        self.fields["version"].initial = dossier.version


def _reason(label: Any = None) -> forms.CharField:
    return forms.CharField(label=label or _("Lý do"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


def _note() -> forms.CharField:
    return forms.CharField(label=_("Ghi chú"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(ActionForm):
    note = _note()


class ReasonForm(ActionForm):
    reason = _reason()


class SupplementForm(ActionForm):
    reason = _reason(_("Nội dung cần bổ sung, hoàn thiện (gửi cho người nộp)"))


class RefuseForm(ActionForm):
    reason = _reason(_("Lý do không tiếp nhận (gửi cho người nộp)"))


class StopForm(ActionForm):
    reason = _reason(_("Lý do dừng xử lý"))


def _officials(user: User, dossier: Dossier, role: str) -> list[tuple[str, str]]:
    qs = colleagues_with_role(user=user, agency_id=dossier.agency_id, role=role)
    return [(str(u.pk), u.full_name or u.username) for u in qs[:200]]


class ForwardForm(ActionForm):
    assignee = forms.ChoiceField(label=_("Chuyển cho"), required=False)
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        steps = effective_template(self.dossier.procedure)
        nxt = min((self.dossier.current_step or 0) + 1, len(steps) - 1)
        self.next_step = steps[nxt]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("— Không chỉ định (cả bộ phận) —")),
            *_officials(self.user, self.dossier, str(steps[nxt]["role"]))]
        self.fields["assignee"].help_text = _("Bước tiếp theo: %(name)s") % {
            "name": steps[nxt]["name"]}


class AssignForm(ActionForm):
    assignee = forms.ChoiceField(label=_("Phân công cho"))
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        steps = effective_template(self.dossier.procedure)
        role = str(steps[self.dossier.current_step or 0]["role"])
        cast(forms.ChoiceField, self.fields["assignee"]).choices = _officials(
            self.user, self.dossier, role)


class ReturnToStepForm(ActionForm):
    step_index = forms.TypedChoiceField(label=_("Trả về bước"), coerce=int)
    reason = _reason()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        steps = effective_template(self.dossier.procedure)
        current = self.dossier.current_step or 0
        cast(forms.ChoiceField, self.fields["step_index"]).choices = [
            (i, f"{i + 1}. {s['name']}") for i, s in enumerate(steps) if 0 < i < current]


class PaymentRequestForm(ActionForm):
    amount = forms.IntegerField(label=_("Số tiền (đồng)"), min_value=1)
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].initial = self.dossier.procedure.fee or None
        cast(forms.IntegerField, self.fields["amount"]).max_value = (
            settings.TINHSO_MAX_PAYMENT_AMOUNT)
        self.fields["amount"].validators.append(
            MaxValueValidator(settings.TINHSO_MAX_PAYMENT_AMOUNT))


class PayForm(ActionForm):
    online = forms.BooleanField(label=_("Người nộp đã thanh toán trực tuyến"), required=False)
    reference = forms.CharField(label=_("Số biên lai / mã giao dịch"), max_length=100,
                                required=False)


class ApologizeForm(ActionForm):
    new_due_at = forms.DateTimeField(
        label=_("Ngày hẹn trả mới"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"])
    reason = _reason(_("Lý do chậm trễ (ghi trong phiếu xin lỗi)"))

    def clean_new_due_at(self) -> dt.datetime:
        value = self.cleaned_data["new_due_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("Ngày hẹn mới phải sau thời điểm hiện tại."))
        return value


def to_input(form: ActionForm) -> ActionInput:
    """The form's cleaned data as the dispatcher's input (the same the API builds from JSON)."""
    data = form.cleaned_data
    assignee = data.get("assignee")
    return ActionInput(
        note=data.get("note") or "", reason=data.get("reason") or "",
        assignee_id=int(assignee) if assignee else None, step_index=data.get("step_index"),
        amount=data.get("amount"), online=bool(data.get("online")),
        reference=data.get("reference") or "", new_due_at=data.get("new_due_at"))


def run(action: str, form: ActionForm) -> Dossier:
    """Run the action through the one dispatcher (tinhso.dossiers.dispatch)."""
    return dossier_act(acting_user=form.user, dossier=form.dossier, action=action,
                       data=to_input(form), expected_version=form.cleaned_data["version"])


@dataclass(frozen=True)
class ActionSpec:
    form: type[ActionForm]
    danger: bool = False


# The officer actions of the lifecycle table (tinhso.dossiers.lifecycle) and their forms; the
# applicant's own actions (withdraw, supplement, rate) live in the portal.
ACTIONS: dict[str, ActionSpec] = {
    "receive": ActionSpec(NoteForm),
    "refuse": ActionSpec(RefuseForm, danger=True),
    "request_supplement": ActionSpec(SupplementForm),
    "assign": ActionSpec(AssignForm),
    "forward": ActionSpec(ForwardForm),
    "return_to_step": ActionSpec(ReturnToStepForm),
    "request_payment": ActionSpec(PaymentRequestForm),
    "pay": ActionSpec(PayForm),
    "approve": ActionSpec(NoteForm),
    "return_result": ActionSpec(NoteForm),
    "stop": ActionSpec(StopForm, danger=True),
    "apologize": ActionSpec(ApologizeForm),
}
