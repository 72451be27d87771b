"""Vietnamese text helpers: NFC normalisation and diacritics folding for search."""

from __future__ import annotations

import unicodedata

# đ/Đ are letters of their own, not d + a combining mark, so NFKD leaves them alone.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower-case ASCII form: ``Đăng ký khai sinh`` → ``dang ky khai sinh``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
