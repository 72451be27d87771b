"""docs/events.md lists exactly the event types of the catalog."""

from __future__ import annotations

import re
from pathlib import Path

from tinhso.outbox.catalog import EVENT_TYPES

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_every_event_type_is_documented():
    rows = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOC.read_text(encoding="utf-8"),
                          re.MULTILINE))
    assert rows == set(EVENT_TYPES)
