"""Scoped querysets of the LGSP (see tinhso.core.scoping). The registry, the credentials and the
message log's entries and bodies are the province's integration operators' (province admins,
superusers): nobody else reads them, not even agency officials whose systems are members. The
signed tree heads, the log's state and its tree nodes are public by design (anyone checks the
proofs) and are not scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tinhso.core.scoping import NOTHING, ScopedQuerySet, is_province_wide


class OperatorsQuerySet(ScopedQuerySet[Any]):
    def scope(self, user: Any) -> Q | None:
        return None if is_province_wide(user) else NOTHING
