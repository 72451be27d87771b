"""Serving a dossier's attachments through a permission check (never a public media URL)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render

from tinhso.core import blobs
from tinhso.core.errors import NotFound
from tinhso.dossiers.models import Attachment, Dossier
from tinhso.dossiers.selectors import dossier_get_for_user

INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def visible_dossier(request: HttpRequest, code: str) -> Dossier:
    """The dossier if this user may see it; 404 otherwise (no hint that it exists)."""
    try:
        return dossier_get_for_user(request.user, code)  # type: ignore[arg-type]
    except NotFound as exc:
        raise Http404(code) from exc


def attachment_response(request: HttpRequest, code: str, attachment_id: int, *,
                        inline: bool) -> HttpResponseBase:
    dossier = visible_dossier(request, code)
    attachment = (Attachment.objects.visible_to(request.user)
                  .filter(pk=attachment_id, dossier=dossier).first())
    if attachment is None:
        raise Http404("attachment")
    try:
        handle = blobs.open_verified(attachment.file.name or "", sha256=attachment.sha256,
                                     size=attachment.size)
    except blobs.StoredFileUnavailable as exc:
        # Never the wrong bytes: a clear error page (already logged and audited by blobs).
        return render(request, "file_unavailable.html", {"error": exc}, status=exc.status)
    # The stored type was detected from the content at upload; anything else is downloaded.
    as_inline = inline and attachment.content_type in INLINE_TYPES
    response = FileResponse(handle, as_attachment=not as_inline,
                            filename=attachment.original_name,
                            content_type=attachment.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    if as_inline:
        # Same-origin framing for the back office's preview; scripts in a PDF or image never run.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; " \
            "style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
    return response
