"""Print a JSON summary of an installation: dossier codes and whether every file is intact."""

from __future__ import annotations

import hashlib
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
sys.path.insert(0, os.getcwd())
django.setup()

from tinhso.dossiers.models import Attachment, Dossier  # noqa: E402

bad = []
for attachment in Attachment.objects.all():
    try:
        with attachment.file.open("rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        digest = "missing"
    if digest != attachment.sha256:
        bad.append(attachment.pk)
print(json.dumps({"codes": sorted(Dossier.objects.values_list("code", flat=True)),
                  "attachments": Attachment.objects.count(), "bad": bad}))
