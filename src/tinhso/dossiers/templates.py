"""The process template a dossier runs through, with a safe default."""

from __future__ import annotations

from typing import Any

from tinhso.catalog.models import Procedure

DEFAULT_TEMPLATE: list[dict[str, Any]] = [
    {"code": "receive", "name": "Tiếp nhận hồ sơ", "role": "receiver", "share": 0.1},
    {"code": "process", "name": "Thẩm định, xử lý hồ sơ", "role": "specialist", "share": 0.6},
    {"code": "approve", "name": "Phê duyệt kết quả", "role": "leader", "share": 0.2},
    {"code": "return", "name": "Trả kết quả", "role": "receiver", "share": 0.1},
]


def effective_template(procedure: Procedure) -> list[dict[str, Any]]:
    """The procedure's steps; it must start with reception and end with the return of results.

    A template without those bookends gets them added, so every dossier has a receive step
    (index 0) and a final return step handled at the one-stop desk.
    """
    steps = list(procedure.process_template or []) or list(DEFAULT_TEMPLATE)
    if steps[0].get("role") != "receiver":
        steps.insert(0, dict(DEFAULT_TEMPLATE[0], share=0))
    if len(steps) < 3 or steps[-1].get("role") != "receiver":
        steps.append(dict(DEFAULT_TEMPLATE[-1], share=0))
    if len(steps) < 3:
        steps.insert(1, dict(DEFAULT_TEMPLATE[1], share=0))
    return steps


def last_processing_index(steps: list[dict[str, Any]]) -> int:
    """The step whose completion ends processing (the one before the return step)."""
    return len(steps) - 2
