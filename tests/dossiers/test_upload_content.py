"""Upload content (issue 9, bad input): active PDFs, PDF/HTML polyglots and absurd images are
refused with a specific code and write nothing; file names are normalised."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.dossiers.conftest import PDF_BYTES
from tests.dossiers.test_api import bearer, nothing_written, post_submission
from tinhso.dossiers.models import Attachment
from tinhso.dossiers.upload_content import safe_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def payload(procedure, agency):
    return {"procedure": procedure.code, "agency": agency.code,
            "form_data": {"ho_ten": "Lê Văn Cường"}}


def plain_pdf(*objects: bytes) -> bytes:
    body = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R" + b"".join(objects) + \
        b">>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    return body + b"trailer<</Root 1 0 R>>\n%%EOF\n"


def objstm_pdf() -> bytes:
    """An OpenAction JavaScript action hidden in a compressed object stream: no marker is
    visible in the file's bytes, only a parser that reads object streams finds it."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.generic import NameObject as N
    from pyhanko.pdf_utils.writer import PdfFileWriter

    writer = PdfFileWriter(stream_xrefs=True)
    stream = writer.prepare_object_stream()
    action = generic.DictionaryObject({N("/S"): N("/JavaScript"),
                                       N("/JS"): generic.TextStringObject("app.alert(1)")})
    writer.root[N("/OpenAction")] = writer.add_object(action, obj_stream=stream)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert b"/JavaScript" not in data and b"/ObjStm" in data
    return data


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + \
        struct.pack(">I", zlib.crc32(chunk))


ACTIVE = {
    "javascript": plain_pdf(b"/Names<</JavaScript 3 0 R>>"),
    "openaction-js": plain_pdf(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
    "launch": plain_pdf(b"/OpenAction<</S/Launch/F(cmd.exe)>>"),
    "embedded-file": plain_pdf(b"/Names<</EmbeddedFiles 4 0 R>>"),
    "escaped-name": plain_pdf(b"/OpenAction<</S/J#61vaScript/J#53(x)>>"),
    "additional-actions": plain_pdf(b"/AA<</O<</S/URI/URI(http://x)>>>>"),
}


@pytest.mark.parametrize("case", sorted(ACTIVE))
def test_pdf_with_active_content_is_refused(citizen, payload, media_root, case):
    files = {"to-khai": SimpleUploadedFile("to-khai.pdf", ACTIVE[case])}
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "FILE_ACTIVE_CONTENT"
    assert response.json()["details"]["found"]
    assert nothing_written(media_root)


def test_javascript_hidden_in_a_compressed_object_stream_is_found(citizen, payload,
                                                                   media_root):
    files = {"to-khai": SimpleUploadedFile("to-khai.pdf", objstm_pdf())}
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == 422
    assert response.json()["code"] == "FILE_ACTIVE_CONTENT"
    assert "/S /JavaScript" in response.json()["details"]["found"]
    assert nothing_written(media_root)


@pytest.mark.parametrize("markup", [b"<html><script>alert(1)</script>", b"<!DOCTYPE html>",
                                    b"<IFRAME src=x>", b"<Body onload=x>"])
def test_pdf_html_polyglot_is_refused(citizen, payload, media_root, markup):
    content = PDF_BYTES.replace(b"trailer", b"%" + markup + b"\ntrailer")
    files = {"to-khai": SimpleUploadedFile("to-khai.pdf", content)}
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == 422
    assert response.json()["code"] == "FILE_POLYGLOT"
    assert nothing_written(media_root)


def test_image_claiming_absurd_dimensions_is_refused(citizen, payload, media_root):
    files = {"to-khai": SimpleUploadedFile("anh.png", png(100_000, 100_000))}
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "FILE_IMAGE_TOO_LARGE"
    assert body["details"]["width"] == 100_000 and "100000×100000" in body["message_vi"]
    assert nothing_written(media_root)


def jpeg(width: int, height: int) -> bytes:
    """A real 8×8 JPEG whose frame header (SOF0) then claims ``width``×``height``."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def test_jpeg_claiming_absurd_dimensions_is_refused(citizen, payload, media_root):
    files = {"to-khai": SimpleUploadedFile("anh.jpg", jpeg(65_000, 65_000))}
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == 422
    assert response.json()["code"] == "FILE_IMAGE_TOO_LARGE"
    assert nothing_written(media_root)


def test_ordinary_pdf_and_image_are_accepted(citizen, payload, media_root):
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf)
    page.drawString(72, 720, "Tờ khai")
    page.showPage()
    page.save()
    for name, content in (("to-khai.pdf", buf.getvalue()), ("anh.png", png(2480, 3508)),
                          ("anh.jpg", jpeg(4960, 7016))):
        files = {"to-khai": SimpleUploadedFile(name, content)}
        response = post_submission(Client(), bearer(citizen), payload, files)
        assert response.status_code == 201, response.content


def test_stored_file_name_is_normalised(citizen, payload, media_root):
    files = {"to-khai": SimpleUploadedFile("C:\\Users\\a\\Giấy khai sinh.pdf.exe", PDF_BYTES)}
    response = post_submission(Client(), bearer(citizen), payload, files)
    assert response.status_code == 201
    assert Attachment.objects.get().original_name == "Giấy khai sinh.pdf"


@pytest.mark.parametrize(("given", "content_type", "expected"), [
    ("ho-chieu.exe", "application/pdf", "ho-chieu.pdf"),
    ("a.pdf.exe", "application/pdf", "a.pdf"),
    ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    ("ảnh\x00\u202e.jpg", "image/png", "ảnh.png"),
    ("Giấy khai sinh v1.2.pdf", "application/pdf", "Giấy khai sinh v1.2.pdf"),
    ("Gia\u0301y.pdf", "application/pdf", "Giáy.pdf"),  # NFC
    ("...", "image/jpeg", "tep.jpg"),
    ('a<b>:"c"|?*.PDF', "application/pdf", "a_b___c____.pdf"),
])
def test_safe_name(given, content_type, expected):
    assert safe_name(given, content_type) == expected
