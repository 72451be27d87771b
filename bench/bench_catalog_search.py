"""Catalogue search (tinhso.catalog.search): time to score a province-sized catalogue.

Prints the figure and its baseline side by side: the ranking in Python over N procedures
(default 2,000 — a province's catalogue) against the literal substring filter it replaced,
run over the same rows in memory. Usage: python bench/bench_catalog_search.py [N] [REPEAT]
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")

import django  # noqa: E402

django.setup()

from tinhso.catalog.search import rank  # noqa: E402
from tinhso.core.text import fold  # noqa: E402

QUERIES = ["giay khai sinh", "khai sihn", "cccd", "chung thuc ban sao", "so do", "dang ky"]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    data = Path(__file__).resolve().parents[1] / "src/tinhso/catalog/data/procedures.json"
    base = json.loads(data.read_text(encoding="utf-8"))["procedures"]
    rows = [(i, f"{b['code']}.{i}", f"{b['name']} {i}", b.get("result_name", ""), i % 97)
            for i, b in ((i, base[i % len(base)]) for i in range(n))]
    for query in QUERIES:
        started = time.perf_counter()
        for _ in range(repeat):
            found = rank(query, rows)
        ours = (time.perf_counter() - started) / repeat * 1000
        started = time.perf_counter()
        for _ in range(repeat):
            words = fold(query).split()
            literal = [r for r in rows if all(w in fold(r[2]) for w in words)]
        baseline = (time.perf_counter() - started) / repeat * 1000
        print(f"{query!r:24} {n} procedures: {ours:7.1f} ms ranked ({len(found)} found) "
              f"| baseline literal filter {baseline:6.1f} ms ({len(literal)} found)")


if __name__ == "__main__":
    main()
