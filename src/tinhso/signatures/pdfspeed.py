"""A faster reader for PDF hex strings, installed into pyhanko (issue 12, verification), and
faster comparison of X.509 names in asn1crypto.

pyhanko 0.38 reads a hex string ``<…>`` one byte per ``stream.read(1)`` call. A PAdES
signature's ``/Contents`` is such a string — tens of kilobytes of hex, more with embedded
revocation data — and profiling the verification of our signed PDFs put about a quarter of
the time in that loop. This reader takes the same bytes in 64 KiB slices and decodes them with
``binascii``; it gives the same object and leaves the stream at the same position (right after
``>``). A string with a comment inside (``%``, legal but never seen in practice) or an invalid
digit is handed to pyhanko's own reader, so errors and edge cases stay pyhanko's.

Names: pyhanko matches certificates by issuer and serial (``match_issuer_serial``) and the
path builder compares names again and again. asn1crypto compares names as RFC 5280 §7.1 says,
after the RFC 4518 string preparation of every attribute value — recomputed for each freshly
parsed certificate, so the certificates of every verified PDF pay it again (≈ 15 % of a
verification, profiled). Two changes, same results: names with the very same DER encoding are
equal without preparing anything (preparation is a function of the value, so equal bytes give
equal prepared strings), and the prepared string of a value is remembered per process, keyed
by the value's DER encoding (which determines its string type and text).
"""

from __future__ import annotations

import binascii
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils import generic

_WHITESPACE = b" \n\r\t\f\x00"
_HEX = b"0123456789abcdefABCDEF"
_original = generic.read_hex_string_from_stream


def read_hex_string_from_stream(stream: Any) -> Any:
    start = stream.tell()
    stream.read(1)  # "<"
    position = start + 1
    parts: list[bytes] = []
    while True:
        chunk = stream.read(1 << 16)
        if not chunk:
            stream.seek(start)
            return _original(stream)
        end = chunk.find(b">")
        if end >= 0:
            parts.append(chunk[:end])
            stream.seek(position + end + 1)
            break
        parts.append(chunk)
        position += len(chunk)
    digits = b"".join(parts).translate(None, _WHITESPACE)
    if digits.translate(None, _HEX):  # a comment or a bad digit: pyhanko decides
        stream.seek(start)
        return _original(stream)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


_PREPPED_MAX = 50_000  # distinct attribute values remembered per process
_prepped: dict[bytes, str] = {}
_original_name_eq = x509.Name.__eq__
_original_prepped_value = x509.NameTypeAndValue.prepped_value


def _name_eq(self: x509.Name, other: object) -> bool:
    if isinstance(other, x509.Name) and self.dump() == other.dump():
        return True
    return bool(_original_name_eq(self, other))


def _prepped_value(self: x509.NameTypeAndValue) -> str:
    if self._prepped is None:
        key = self["value"].dump()
        found = _prepped.get(key)
        if found is None:
            found = self._ldap_string_prep(self["value"].native)
            if len(_prepped) >= _PREPPED_MAX:
                _prepped.clear()
            _prepped[key] = found
        self._prepped = found
    return str(self._prepped)


def install(*, names: bool = True) -> None:
    generic.read_hex_string_from_stream = read_hex_string_from_stream
    if names:
        x509.Name.__eq__ = _name_eq  # type: ignore[method-assign,assignment]
        x509.NameTypeAndValue.prepped_value = property(_prepped_value)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """pyhanko's and asn1crypto's own code again (benchmarks' same-run baseline)."""
    generic.read_hex_string_from_stream = _original
    x509.Name.__eq__ = _original_name_eq  # type: ignore[method-assign]
    x509.NameTypeAndValue.prepped_value = _original_prepped_value  # type: ignore[method-assign]
