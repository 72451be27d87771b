"""Public endpoints of the verifiable log (RFC 9162 §5 names and shapes, as JSON) and
``listClients``.

* ``GET /lgsp/log/v2/get-sth``: the latest signed tree head.
* ``GET /lgsp/log/v2/get-sth-consistency?first=M&second=N``: a consistency proof.
* ``GET /lgsp/log/v2/get-proof-by-hash?hash=B64&tree_size=N``: an inclusion proof for a leaf
  hash (``leaf_index=I`` instead of ``hash`` is accepted too).

Each proof also carries its RFC 9162 TLS encoding (``trans_item``, base64 of a ``TransItem``),
and the signed head is returned with the RFC 3161 token that stamps it.
"""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from tinhso.lgsp import credentials, errors, messagelog, selectors
from tinhso.lgsp.models import SignedTreeHead


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _problem(status: int, code: str, vi: str, en: str) -> JsonResponse:
    return JsonResponse({"code": code, "message_vi": vi, "message_en": en, "details": {}},
                        status=status)


def sth_json(sth: SignedTreeHead) -> dict[str, Any]:
    return {
        "sth": {
            "log_id": _b64(messagelog.LOG_ID),
            "tree_head": {"timestamp": sth.timestamp_ms, "tree_size": sth.tree_size,
                          "root_hash": _b64(bytes(sth.root_hash)), "sth_extensions": []},
            "signature": _b64(bytes(sth.signature)),
        },
        "trans_item": _b64(struct.pack(">H", messagelog.SIGNED_TREE_HEAD_V2)
                           + messagelog.signed_tree_head_bytes(sth)),
        "signature_algorithm": sth.signature_algorithm,
        "certificate": sth.certificate_pem,
        "timestamp_token": _b64(bytes(sth.timestamp_token)),
    }


def _path_bytes(path: list[bytes]) -> bytes:
    body = b"".join(bytes([len(h)]) + h for h in path)
    return struct.pack(">H", len(body)) + body


def _int(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _sth_for(size: int) -> dict[str, Any] | None:
    sth = selectors.signed_head_of_size(size)
    return sth_json(sth) if sth else None


@require_GET
def get_sth(request: HttpRequest) -> HttpResponse:
    sth = selectors.latest_signed_head()
    if sth is None:
        return _problem(404, "LGSP_NO_SIGNED_HEAD", "Nhật ký chưa có gốc cây đã ký.",
                        "The log has no signed tree head yet.")
    return JsonResponse(sth_json(sth))


def _bad_sizes() -> JsonResponse:
    return _problem(400, "LGSP_BAD_TREE_SIZE", "Kích thước cây không hợp lệ.",
                    "Invalid tree sizes for this log.")


@require_GET
def get_sth_consistency(request: HttpRequest) -> HttpResponse:
    first, second = _int(request, "first"), _int(request, "second")
    if first is None or second is None or not 0 < first <= second <= messagelog.tree_size():
        return _bad_sizes()
    path = messagelog.consistency_path(first, second)
    trans = (struct.pack(">H", messagelog.CONSISTENCY_PROOF_V2)
             + bytes([len(messagelog.LOG_ID)]) + messagelog.LOG_ID
             + struct.pack(">QQ", first, second) + _path_bytes(path))
    return JsonResponse({
        "consistency": {"log_id": _b64(messagelog.LOG_ID), "tree_size_1": first,
                        "tree_size_2": second, "consistency_path": [_b64(h) for h in path]},
        "trans_item": _b64(trans),
        "sth": _sth_for(second),
    })


@require_GET
def get_proof_by_hash(request: HttpRequest) -> HttpResponse:
    size = _int(request, "tree_size")
    if size is None or not 0 < size <= messagelog.tree_size():
        return _bad_sizes()
    if "hash" in request.GET:
        try:
            leaf = base64.b64decode(request.GET["hash"], validate=True)
        except (binascii.Error, ValueError):
            leaf = b""
        if len(leaf) != 32:
            return _problem(400, "LGSP_BAD_HASH", "Giá trị băm không hợp lệ (base64, 32 byte).",
                            "The hash must be 32 bytes, base64-encoded.")
        index = selectors.leaf_index(leaf, size)
    else:
        index = _int(request, "leaf_index")
    if index is None or index >= size:
        return _problem(404, "LGSP_LEAF_NOT_FOUND", "Không tìm thấy lá trong cây đã chọn.",
                        "No such leaf in a tree of that size.")
    path = messagelog.inclusion_path(index, size)
    trans = (struct.pack(">H", messagelog.INCLUSION_PROOF_V2)
             + bytes([len(messagelog.LOG_ID)]) + messagelog.LOG_ID
             + struct.pack(">QQ", size, index) + _path_bytes(path))
    return JsonResponse({
        "inclusion": {"log_id": _b64(messagelog.LOG_ID), "tree_size": size, "leaf_index": index,
                      "inclusion_path": [_b64(h) for h in path]},
        "trans_item": _b64(trans),
        "sth": _sth_for(size),
    })


@require_GET
def list_clients(request: HttpRequest) -> HttpResponse:
    """PR-META §2 ``listClients``; callers need an LGSP credential (no X-Road-Client)."""
    from tinhso.lgsp import metadata

    try:
        credentials.authenticate(request)
    except errors.GatewayError as exc:
        return exc.response("")
    return metadata.list_clients(request, request.GET.get("xRoadInstance") or None)
