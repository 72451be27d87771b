"""Plotly figure specs for the IOC overview, built on the server and drawn by plotly.js.

The specs go into a ``data-plotly`` attribute (JSON, escaped by the template); the static
``ioc/charts.js`` hands them to the bundled plotly.js (no inline script: the CSP forbids it).
Every chart has titled axes, its values printed on the marks, Vietnamese number separators
(``separators: ",."`` — decimal comma, thousands dot) and a baseline at zero; percentages run
on a fixed 0–100 axis so months compare at a glance.
"""

from __future__ import annotations

import json
from typing import Any

FONT = {"family": "Be Vietnam Pro, system-ui, sans-serif", "size": 13, "color": "#1f2937"}
BLUE, GOLD, GREY = "#1d4ed8", "#d97706", "#e5e7eb"


def _layout(**extra: Any) -> dict[str, Any]:
    return {"separators": ",.", "font": FONT, "margin": {"l": 60, "r": 60, "t": 50, "b": 60},
            "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff", "showlegend": True,
            # The legend above the plot: below it would cover the x-axis title.
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "hovermode": "x unified", **extra}


def _count_axis(title: str, peak: int) -> dict[str, Any]:
    """A count axis from zero with whole-number ticks (small counts get a tick per unit,
    not 0,2 steps printed as "0, 0, 1, 1")."""
    axis: dict[str, Any] = {"title": {"text": title}, "rangemode": "tozero", "zeroline": True,
                            "tickformat": ",d"}
    if peak <= 8:
        axis.update(dtick=1, range=[0, peak + 1])
    return axis


def month_label(month: str) -> str:
    """"2026-01" (or a date's ISO form) → "01/2026"."""
    return f"{month[5:7]}/{month[:4]}"


def series_figure(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Dossiers received per month (bars, left axis from 0) and the index as a percentage of
    the points covered by data (line, right axis 0–100)."""
    months = [month_label(str(p["month"])) for p in points]
    received = [int(p["received"]) for p in points]
    pct = [round(p["pct"], 1) if p.get("pct") is not None else None for p in points]
    return {
        "data": [
            {"type": "bar", "name": "Hồ sơ tiếp nhận", "x": months, "y": received,
             "marker": {"color": GOLD}, "text": received, "textposition": "outside",
             "texttemplate": "%{y:,d}", "hovertemplate": "%{y:,d} hồ sơ<extra></extra>",
             "cliponaxis": False},
            {"type": "scatter", "mode": "lines+markers+text", "name": "Điểm (% tối đa có dữ liệu)",
             "x": months, "y": pct, "yaxis": "y2", "line": {"color": BLUE, "width": 3},
             "text": pct, "texttemplate": "%{y:.1f}%", "textposition": "top center",
             "hovertemplate": "%{y:.1f}%<extra></extra>", "connectgaps": False},
        ],
        "layout": _layout(
            xaxis={"title": {"text": "Tháng"}, "type": "category"},
            yaxis=_count_axis("Số hồ sơ tiếp nhận", max(received, default=0)),
            yaxis2={"title": {"text": "Điểm (%)"}, "overlaying": "y", "side": "right",
                    "range": [0, 105], "dtick": 20, "ticksuffix": "%", "showgrid": False},
        ),
    }


def groups_figure(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """Each group's points against its nominal maximum (grey), on one 0–22 axis."""
    names = [g["name_vi"] for g in groups]
    maxima = [float(g["max"]) for g in groups]
    scores = [round(float(g["score"]), 2) if g.get("score") is not None else 0.0
              for g in groups]
    labels = [f"{s:.2f} / {m:.0f}".replace(".", ",") for s, m in zip(scores, maxima, strict=True)]
    return {
        "data": [
            {"type": "bar", "orientation": "h", "name": "Điểm tối đa", "y": names, "x": maxima,
             "marker": {"color": GREY}, "hoverinfo": "skip"},
            {"type": "bar", "orientation": "h", "name": "Điểm đạt", "y": names, "x": scores,
             "marker": {"color": BLUE}, "text": labels, "textposition": "outside",
             "hovertemplate": "%{x:.2f} điểm<extra></extra>", "cliponaxis": False},
        ],
        "layout": _layout(
            barmode="overlay", hovermode="closest",
            margin={"l": 230, "r": 70, "t": 40, "b": 50},
            xaxis={"title": {"text": "Điểm (thang 100)"}, "range": [0, max(maxima or [1]) + 4],
                   "rangemode": "tozero"},
            yaxis={"autorange": "reversed", "automargin": True}),
    }


def ranking_figure(rows: list[dict[str, Any]], limit: int = 15) -> dict[str, Any]:
    """The ranking's top rows by points on the 100-point scale, best at the top."""
    top = [r for r in rows if r.get("score") is not None][:limit]
    names = [r["name"] for r in top]
    scores = [round(float(r["score"]), 2) for r in top]
    return {
        "data": [{"type": "bar", "orientation": "h", "name": "Điểm", "y": names, "x": scores,
                  "marker": {"color": BLUE}, "texttemplate": "%{x:.2f}",
                  "textposition": "outside", "cliponaxis": False,
                  "hovertemplate": "%{y}: %{x:.2f} điểm<extra></extra>"}],
        "layout": _layout(
            showlegend=False, hovermode="closest",
            margin={"l": 230, "r": 60, "t": 20, "b": 50},
            xaxis={"title": {"text": "Điểm chỉ số 766 (thang 100)"}, "range": [0, 100]},
            yaxis={"autorange": "reversed", "automargin": True}),
    }


def as_attr(figure: dict[str, Any]) -> str:
    """JSON for a ``data-plotly`` attribute (the template escapes it)."""
    return json.dumps(figure, ensure_ascii=False, separators=(",", ":"))
