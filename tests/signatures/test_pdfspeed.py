"""The fast hex-string reader gives pyhanko's result and leaves the stream where pyhanko does."""

from __future__ import annotations

from io import BytesIO

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
