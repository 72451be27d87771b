"""Retention and archiving: a closed period of the log exported with its signed heads.

``archive_before(day)`` writes the leaves logged before ``day`` (from the end of the previous
archive) as JSON lines (each line the exact leaf bytes, so anyone can recompute the leaf hashes),
plus every signed head whose tree covers them, to ``<dir>/lgsp-log-<first>-<end>.jsonl``
(written to a temporary file, fsynced, renamed). Kept bodies of archived leaves are then
deleted (retention); the leaves and nodes stay, so old proofs remain servable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from tinhso.lgsp import conf, messagelog
from tinhso.lgsp.models import LogArchive, LogBody, LogEntry, SignedTreeHead
from tinhso.lgsp.views import sth_json


def archive_before(*, day: dt.date, out_dir: str | None = None) -> LogArchive | None:
    start = (LogArchive.objects.order_by("-end_index").values_list("end_index", flat=True)
             .first() or 0)
    cutoff = timezone.make_aware(dt.datetime.combine(day, dt.time()))
    end = (LogEntry.objects.filter(index__gte=start, logged_at__lt=cutoff)
           .order_by("-index").values_list("index", flat=True).first())
    if end is None:
        return None
    end += 1
    heads = list(SignedTreeHead.objects.filter(tree_size__gte=end).order_by("tree_size")[:1])
    heads += list(SignedTreeHead.objects.filter(tree_size__gt=start, tree_size__lt=end)
                  .order_by("tree_size"))
    folder = Path(out_dir or conf.archive_dir())
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"lgsp-log-{start}-{end}.jsonl"
    tmp = final.with_suffix(".tmp")
    digest = hashlib.sha256()
    with open(tmp, "wb") as fh:
        def write(line: bytes) -> None:
            fh.write(line + b"\n")
            digest.update(line + b"\n")

        write(json.dumps({"archive": "tinhso-lgsp-log", "first_index": start,
                          "end_index": end, "log_id": sth_json_log_id()}).encode())
        for entry in LogEntry.objects.filter(index__gte=start, index__lt=end).order_by(
                "index").iterator(chunk_size=2000):
            write(messagelog.leaf_data(entry))
        for sth in heads:
            write(json.dumps({"signed_tree_head": sth_json(sth)}).encode())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    with transaction.atomic():
        archive = LogArchive.objects.create(first_index=start, end_index=end, path=str(final),
                                            sha256=digest.hexdigest())
        LogBody.objects.filter(entry__index__gte=start, entry__index__lt=end).delete()
    return archive


def sth_json_log_id() -> str:
    import base64

    return base64.b64encode(messagelog.LOG_ID).decode()
