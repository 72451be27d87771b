"""Attachment intake: type checked by content (magic bytes), size limit, SHA-256, storage.

Files are stored under their content hash by ``tinhso.core.blobs`` (atomic write, verified
reuse). Bad input is refused before anything is written; a file written for a request that then
fails is left to ``tinhso sweep-media``, never deleted by the request (issue 9: it may be the
file a concurrent request has just committed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from tinhso.core import blobs
from tinhso.core.errors import ValidationFailed
from tinhso.dossiers import upload_content

TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class CheckedFile:
    component_code: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def check_upload(component_code: str, upload: UploadedFile) -> CheckedFile:
    """Read and check one upload; raise a precise 422 error for size or type."""
    limit = settings.TINHSO_MAX_UPLOAD_BYTES
    name = (upload.name or "tep")[:255]
    if upload.size is not None and upload.size > limit:
        raise _too_large(name, upload.size, limit)
    content = upload.read()
    if len(content) > limit:
        raise _too_large(name, len(content), limit)
    if not content:
        raise ValidationFailed(
            "FILE_EMPTY", f"Tệp “{name}” rỗng.", f"File '{name}' is empty.",
            {"file": name, "component": component_code},
        )
    kind = filetype.guess(content)
    content_type = kind.mime if kind else "application/octet-stream"
    allowed = settings.TINHSO_ALLOWED_UPLOAD_TYPES
    if content_type not in allowed:
        labels = ", ".join(TYPE_LABELS.get(t, t) for t in allowed)
        raise ValidationFailed(
            "FILE_TYPE_NOT_ALLOWED",
            f"Tệp “{name}” không đúng định dạng cho phép ({labels}).",
            f"File '{name}' is not an allowed type ({labels}); detected {content_type}.",
            {"file": name, "component": component_code, "detected": content_type,
             "allowed": allowed},
        )
    upload_content.inspect(content, content_type, name=name, component=component_code)
    return CheckedFile(
        component_code=component_code,
        original_name=upload_content.safe_name(name, content_type),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def _too_large(name: str, size: int, limit: int) -> ValidationFailed:
    mib = limit / (1024 * 1024)
    return ValidationFailed(
        "FILE_TOO_LARGE",
        f"Tệp “{name}” vượt quá dung lượng cho phép ({mib:.0f} MB).",
        f"File '{name}' exceeds the size limit ({mib:.0f} MB).",
        {"file": name, "size": size, "limit": limit},
    )


def store(checked: CheckedFile) -> str:
    """Store the file under its hash (atomic, verified; see ``tinhso.core.blobs``); its name.

    Never undone by the caller: a request that fails afterwards leaves the file for the sweep,
    because a concurrent request may already have committed a row pointing at the same file.
    """
    return blobs.put(checked.content, area="dossiers", sha256=checked.sha256).name
