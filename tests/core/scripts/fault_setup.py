"""Create an agency, a procedure and a citizen with an API token; print them as JSON."""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
sys.path.insert(0, os.getcwd())
django.setup()

from tests import factories  # noqa: E402

from tinhso.accounts.models import ApiToken  # noqa: E402
from tinhso.accounts.tokens import generate_token, hash_token  # noqa: E402

agency = factories.make_agency(unit=factories.make_province())
procedure = factories.make_procedure(agencies=[agency])
citizen = factories.make_citizen()
raw = generate_token()
ApiToken.objects.create(user=citizen, name="fault", prefix=raw[:12], key_hash=hash_token(raw))
print(json.dumps({"token": raw, "procedure": procedure.code, "agency": agency.code}))
