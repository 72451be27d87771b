"""Portal forms. Labels and messages in Vietnamese (translated through Django i18n)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tinhso.accounts.models import AccountKind
from tinhso.core.errors import DomainError
from tinhso.portal.errors import error_message


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Số định danh cá nhân, mã số thuế hoặc tên đăng nhập"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"}))
    password = forms.CharField(label=_("Mật khẩu"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete":
                                                                 "current-password"}))


class RegisterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Bạn đăng ký với tư cách"), widget=forms.RadioSelect,
        choices=[(AccountKind.CITIZEN, _("Công dân")),
                 (AccountKind.ORGANISATION, _("Tổ chức, doanh nghiệp"))],
        initial=AccountKind.CITIZEN)
    full_name = forms.CharField(label=_("Họ và tên (hoặc tên tổ chức)"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    id_number = forms.CharField(
        label=_("Số định danh cá nhân (12 số trên thẻ căn cước)"), max_length=20, required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    tax_code = forms.CharField(label=_("Mã số thuế của tổ chức"), max_length=20, required=False,
                               widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    email = forms.EmailField(label=_("Thư điện tử"), help_text=_(
        "Dùng để nhận thông báo và đặt lại mật khẩu."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label=_("Số điện thoại"), max_length=20, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "tel"}))
    password1 = forms.CharField(
        label=_("Mật khẩu"), strip=False,
        help_text=_("Ít nhất 8 ký tự, không toàn chữ số, không quá giống thông tin cá nhân."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Nhập lại mật khẩu"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete":
                                                                  "new-password"}))

    def clean_id_number(self) -> str:
        from tinhso.accounts.validators import validate_id_number

        value = self.cleaned_data.get("id_number", "").strip()
        if value:
            try:
                value = validate_id_number(value)
            except DomainError as exc:
                raise forms.ValidationError(error_message(exc)) from exc
        return value

    def clean_tax_code(self) -> str:
        from tinhso.accounts.validators import validate_tax_code

        value = self.cleaned_data.get("tax_code", "").strip()
        if value:
            try:
                value = validate_tax_code(value)
            except DomainError as exc:
                raise forms.ValidationError(error_message(exc)) from exc
        return value

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # Form.clean returns cleaned_data
        kind = data.get("kind")
        if kind == AccountKind.CITIZEN and not data.get("id_number") \
                and "id_number" not in self.errors:
            self.add_error("id_number", _("Vui lòng nhập số định danh cá nhân."))
        if kind == AccountKind.ORGANISATION and not data.get("tax_code") \
                and "tax_code" not in self.errors:
            self.add_error("tax_code", _("Vui lòng nhập mã số thuế."))
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Hai mật khẩu không khớp nhau."))
        return data


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Mã hồ sơ"), max_length=60,
                           help_text=_("In trên giấy tiếp nhận, ví dụ 000.00.10.H10-260115-0042."),
                           widget=forms.TextInput(attrs={"autocapitalize": "characters",
                                                         "spellcheck": "false"}))
    id_number = forms.CharField(
        label=_("Số định danh cá nhân hoặc mã số thuế của người nộp"), max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))


class ContactForm(forms.Form):
    """The applicant's contact details sent with an online dossier."""

    agency = forms.ChoiceField(label=_("Nơi nộp hồ sơ"))
    phone = forms.CharField(label=_("Số điện thoại liên hệ"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel",
                                                          "autocomplete": "tel"}))
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    address = forms.CharField(label=_("Địa chỉ liên hệ"), max_length=255, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))

    def __init__(self, *args, agencies=(), **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        agency = cast(forms.ChoiceField, self.fields["agency"])
        agency.choices = [(a.code, a.name) for a in agencies]
        if len(agency.choices) == 1:
            agency.initial = agency.choices[0][0]


def upload_limits() -> dict[str, object]:
    """Attributes for file inputs: the client checks what the server checks again by content."""
    max_bytes = int(settings.TINHSO_MAX_UPLOAD_BYTES)
    types = list(settings.TINHSO_ALLOWED_UPLOAD_TYPES)
    return {
        "max_bytes": max_bytes, "max_mb": max_bytes // (1024 * 1024), "types": ",".join(types),
        "accept": ",".join(types + [{"application/pdf": ".pdf", "image/jpeg": ".jpg,.jpeg",
                                     "image/png": ".png"}.get(t, "") for t in types]).strip(","),
    }


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Chọn tệp"))


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Bạn có hài lòng với việc giải quyết hồ sơ?"), coerce=int,
        widget=forms.RadioSelect,
        choices=[(1, _("Hài lòng")), (0, _("Bình thường")), (-1, _("Không hài lòng"))])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
