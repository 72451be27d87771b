"""The price history chart as plain SVG data (no script: the pages run under a strict CSP).

``price_chart`` turns {market: [(day, price)]} into polyline point lists scaled to a fixed
view box, with a few labelled gridlines; the template draws them and ``market.css`` colours
them (classes ``s0`` … ``s5``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 70, 24, 10


def _vnd(value: float) -> str:
    return f"{round(value):,}".replace(",", ".")


def price_chart(series: dict[str, list[tuple[dt.date, int]]],
                names: dict[str, str]) -> dict[str, Any] | None:
    points = [p for values in series.values() for p in values]
    if not points:
        return None
    days = [d for d, _ in points]
    prices = [v for _, v in points]
    first, last = min(days), max(days)
    low: float = min(prices)
    high: float = max(prices)
    if high == low:
        low, high = low * 0.95, high * 1.05 + 1
    span_days = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP

    def x(day: dt.date) -> float:
        return LEFT + plot_w * (day - first).days / span_days

    def y(price: float) -> float:
        return TOP + plot_h * (1 - (price - low) / (high - low))

    lines = []
    for index, (market, values) in enumerate(sorted(series.items())):
        lines.append({
            "name": names.get(market, market), "css": f"s{index % 6}",
            "points": " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in values),
            "last": _vnd(values[-1][1]),
        })
    grid = [{"y": f"{y(low + (high - low) * i / 4):.1f}",
             "label": _vnd(low + (high - low) * i / 4)} for i in range(5)]
    return {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - 10,
            "bottom": HEIGHT - BOTTOM, "lines": lines, "grid": grid,
            "first": first, "last": last, "label_y": HEIGHT - 6}
