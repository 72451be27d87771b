"""Attachment intake: type checked by content (magic bytes), size limit, SHA-256, storage.

Files are stored under their content hash. A file written for a request whose transaction then
fails is removed again (``discard_new_files``), so bad input leaves no file behind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from tinhso.core.errors import ValidationFailed

TYPE_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class CheckedFile:
    component_code: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    content: bytes

    @property
    def storage_name(self) -> str:
        return f"dossiers/{self.sha256[:2]}/{self.sha256}"


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
    return CheckedFile(
        component_code=component_code,
        original_name=name,
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


def store(checked: CheckedFile, created: list[str]) -> str:
    """Write the file unless identical content is stored already; note what this call created."""
    name = checked.storage_name
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(checked.content))
        created.append(saved)
        return saved
    return name


def discard_new_files(created: list[str]) -> None:
    for name in created:
        default_storage.delete(name)
