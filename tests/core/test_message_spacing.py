"""Every message a user reads is typeset cleanly (issue 11, "stray spaces"): no double space, no
space before punctuation or after an opening bracket, no leading or trailing space, NFC text.

The messages are collected from the source, so a new one is checked the day it is written:
- the error catalogue: every ``DomainError`` (and subclass) raised, its Vietnamese and English
  message, and every ``error_response``;
- validation and flash messages: every translatable string (``_``, ``gettext``, ``_lazy`` …),
  Django ``ValidationError`` and ``add_error`` messages, ``messages.error/success/info/warning``.

Messages are assembled as Python assembles them (implicit concatenation, ``+``, f-strings with
a placeholder "X"), which is where stray spaces come from: "… in lại " "ra PDF" → two spaces.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tinhso"
BASE_ERRORS = {"DomainError", "ValidationFailed", "Conflict", "NotFound", "PermissionDenied"}
TRANSLATE = {"_", "gettext", "gettext_lazy", "_lazy", "ngettext", "ngettext_lazy", "pgettext",
             "pgettext_lazy", "gettext_noop", "_noop"}
FLASH = {"error", "success", "info", "warning"}
MESSAGE_KEYWORDS = {"message_vi", "message_en", "what_vi", "what_en", "message"}
CODE = re.compile(r"[A-Z0-9_.]*")
PROBLEMS = [
    (re.compile(r"\S {2,}\S"), "double space"),
    (re.compile(r"\s[,.;:!?…)\]”’]"), "space before punctuation"),
    (re.compile(r"[(\[“‘]\s"), "space after an opening bracket or quote"),
    (re.compile(r"^\s|\s$"), "leading or trailing space"),
    (re.compile(r"\t"), "tab"),
]


def text_of(node: ast.AST) -> str | None:
    """The message as Python builds it; None when it is not built from literals."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            else:
                parts.append("X")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = text_of(node.left), text_of(node.right)
        if left is not None and right is not None:
            return left + right
        if left is not None or right is not None:
            return (left or "X") + (right or "X")
    return None


def _name(func: ast.AST) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """DomainError and every class derived from it anywhere in the source (to a fixpoint)."""
    names = set(BASE_ERRORS)
    while True:
        found = {node.name for tree in trees.values() for node in ast.walk(tree)
                 if isinstance(node, ast.ClassDef)
                 and any(_name(base) in names for base in node.bases)} - names
        if not found:
            return names
        names |= found


def messages_in(tree: ast.Module, errors: set[str]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        args: list[ast.AST] = []
        if name in errors or name == "error_response":
            args = list(node.args)
        elif name in TRANSLATE or name == "ValidationError":
            args = list(node.args[:1])
        elif name == "add_error" or (name in FLASH and isinstance(node.func, ast.Attribute)
                                     and _name(node.func.value) == "messages"):
            args = list(node.args[1:2])  # (field, message) and (request, message)
        args += [kw.value for kw in node.keywords if kw.arg in MESSAGE_KEYWORDS]
        for arg in args:
            text = text_of(arg)
            if text is not None and not CODE.fullmatch(text):  # error codes are not prose
                yield node.lineno, text


def problems(text: str) -> list[str]:
    found = [label for pattern, label in PROBLEMS if pattern.search(text)]
    if not unicodedata.is_normalized("NFC", text):
        found.append("not NFC")
    return found


def collect() -> list[tuple[str, int, str, list[str]]]:
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
             for path in sorted(SRC.rglob("*.py")) if "migrations" not in path.parts}
    errors = error_classes(trees)
    out = []
    for path, tree in trees.items():
        for line, text in messages_in(tree, errors):
            out.append((str(path.relative_to(SRC)), line, text, problems(text)))
    return out


def test_the_audit_sees_the_messages() -> None:
    """The walk is not empty-handed: it finds the error catalogue and the flash messages."""
    found = collect()
    texts = {text for _, _, text, _ in found}
    assert len(found) > 1000
    assert "Hồ sơ chưa được phê duyệt nên chưa thể đính kèm kết quả." in texts
    assert "Vui lòng chọn ít nhất một tệp để bổ sung." in texts  # a flash message
    assert any(text.startswith("Tệp “X” rỗng") for text in texts)  # an f-string


def test_the_checks_can_fail() -> None:
    assert problems("Tệp PDF  rỗng.") == ["double space"]
    assert problems("Vui lòng in lại ra PDF .") == ["space before punctuation"]
    assert problems("Lý do ( bắt buộc)") == ["space after an opening bracket or quote"]
    assert problems("Hồ sơ đã tiếp nhận. ") == ["leading or trailing space"]
    assert problems(unicodedata.normalize("NFD", "Hồ sơ")) == ["not NFC"]
    tree = ast.parse('raise ValidationFailed("X", "Vui lòng in lại "\n " ra PDF.", "Print.")')
    assert [problems(t) for _, t in messages_in(tree, BASE_ERRORS)] == [["double space"], []]


def test_no_stray_spaces_in_user_messages() -> None:
    bad = [f"{path}:{line}: {', '.join(found)}: {text!r}"
           for path, line, text, found in collect() if found]
    assert not bad, "\n".join(bad)


def _separator(text: str) -> bool:
    return not any(ch.isalnum() for ch in text)


def test_no_stray_spaces_in_the_effective_vietnamese_catalogue() -> None:
    """What Django itself says in Vietnamese (form validation: "Đảm bảo giá trị này lớn hơn
    hoặc bằng 1.") after our corrections in src/tinhso/locale/vi: Django's own catalogue has
    "… bằng với 1 ." and double spaces."""
    from django.utils import translation
    from django.utils.translation import trans_real

    catalog = trans_real.translation("vi")._catalog
    bad = []
    for key in set(catalog.keys()):
        value = catalog[key]  # the effective one: our corrections shadow Django's
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid or not isinstance(value, str) or _separator(value):
            continue
        # A message whose English original has the same spaces (Django's " By %(x)s ").
        found = [p for p in problems(value) if p not in problems(msgid)]
        if found:
            bad.append(f"{msgid!r}: {', '.join(found)}: {value!r}")
    assert not bad, "\n".join(bad)
    with translation.override("vi"):
        from django import forms

        field = forms.IntegerField(min_value=1)
        try:
            field.clean("0")
        except forms.ValidationError as exc:
            assert exc.messages == ["Đảm bảo giá trị này lớn hơn hoặc bằng 1."]
        else:  # pragma: no cover - the field must refuse 0
            raise AssertionError("0 accepted")
