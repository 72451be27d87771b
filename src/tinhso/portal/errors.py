"""Showing domain errors (``DomainError``) on HTML forms, in the user's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from django import forms
from django.utils.translation import get_language

from tinhso.core.errors import DomainError


def error_message(exc: DomainError) -> str:
    """The message in the active language (Vietnamese unless English was chosen)."""
    lang = (get_language() or "vi").split("-")[0]
    return exc.message_en if lang == "en" else exc.message_vi


def attach_domain_error(form: forms.Form, exc: DomainError,
                        field_map: Mapping[str, str] | None = None) -> None:
    """Put the error on the field named by ``details.field`` (mapped to a form field), or on
    the form as a whole. Password problems from Django's validators are listed one by one."""
    details = exc.details if isinstance(exc.details, dict) else {}
    target = details.get("field")
    if field_map and target in field_map:
        target = field_map[cast(str, target)]
    if target not in form.fields:
        target = None
    form.add_error(target, error_message(exc))
    problems = details.get("problems")
    if target and isinstance(problems, list):
        for problem in problems:
            form.add_error(target, str(problem))
