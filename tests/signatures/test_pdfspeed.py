"""The fast hex-string reader gives pyhanko's result and leaves the stream where pyhanko does."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from tinhso.signatures import pdfspeed

CASES = [b"<>", b"<48656C6C6F>", b"<48 65\n6C\r\n6c\t6F>", b"<ABC>", b"<00" + b"0" * 70000 + b">",
         b"<FEFF00480069>", b"<48656C6C6F> 12 0 R"]


@pytest.mark.parametrize("raw", CASES)
def test_same_object_and_position_as_pyhanko(raw: bytes) -> None:
    ours, theirs = BytesIO(b"xx" + raw), BytesIO(b"xx" + raw)
    ours.seek(2)
    theirs.seek(2)
    assert pdfspeed.read_hex_string_from_stream(ours) == pdfspeed._original(theirs)
    assert ours.tell() == theirs.tell()


def test_bad_digit_is_pyhankos_error() -> None:
    with pytest.raises(PdfStreamError):
        pdfspeed.read_hex_string_from_stream(BytesIO(b"<48Z5>"))


def test_installed_when_django_starts(db) -> None:
    assert generic.read_hex_string_from_stream is pdfspeed.read_hex_string_from_stream


def _name(common_name: str, org: str = "Sở Tư pháp") -> Any:
    from asn1crypto import x509

    return x509.Name.build({"common_name": common_name, "organization_name": org})


def test_names_compare_as_asn1crypto_compares_them():
    """The fast paths (equal DER, remembered string preparation) give asn1crypto's answers:
    RFC 5280 §7.1 equality ignores case and extra spaces, and different names differ."""
    from asn1crypto import x509

    from tinhso.signatures import pdfspeed

    pairs = [
        (_name("Nguyễn Văn An"), _name("Nguyễn Văn An")),  # same bytes
        (_name("Nguyễn Văn An"), _name("NGUYỄN VĂN AN")),  # case differs: equal
        (_name("Nguyễn  Văn An"), _name("Nguyễn Văn An")),  # inner spaces: equal
        (_name("Nguyễn Văn An"), _name("Nguyễn Văn Ân")),  # another name
        (_name("Nguyễn Văn An"), _name("Nguyễn Văn An", org="Sở Y tế")),
    ]
    pdfspeed.uninstall()
    try:
        expected = [x509.Name.load(a.dump()) == x509.Name.load(b.dump()) for a, b in pairs]
    finally:
        pdfspeed.install()
    got = [x509.Name.load(a.dump()) == x509.Name.load(b.dump()) for a, b in pairs]
    again = [x509.Name.load(a.dump()) == x509.Name.load(b.dump()) for a, b in pairs]
    assert got == again == expected == [True, True, True, False, False]
    assert x509.Name.load(pairs[3][0].dump()) != x509.Name.load(pairs[3][1].dump())
