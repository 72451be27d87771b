"""Small template helpers for the IOC pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.9512 → "95,1%" (Vietnamese decimal comma); None → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%".replace(".", ",")


@register.filter
def so(value: Any) -> str:
    """A count the Vietnamese way: 1999 → "1.999" (thousands dot); None → "—"."""
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)


@register.filter
def dong(value: Any) -> str:
    """Money in đồng: 569000 → "569.000 đ" (0 is "0 đ", not "free of charge")."""
    if value is None or value == "":
        return "—"
    try:
        return f"{int(value):,}".replace(",", ".") + " đ"
    except (TypeError, ValueError):
        return str(value)


@register.simple_tag
def plotly_style_guards() -> SafeString:
    """Empty <meta> elements carrying the ids of the <style> elements plotly.js would inject
    (tinhso.ioc.staticfiles.inline_style_ids): it then injects none, and the CSP stays strict."""
    from tinhso.ioc.staticfiles import inline_style_ids

    return format_html_join("", '<meta name="plotly-style-guard" id="{}">',
                            ((i,) for i in inline_style_ids()))
