"""Small server-drawn SVG charts: readable at a glance, no script, no CDN.

A line chart of p50 and p90 per day, and horizontal bars of p50 (with the
p90 marked) per group. Text is escaped; the markup is built here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD_L, PAD_B, PAD_T, PAD_R = 640, 200, 56, 28, 14, 28


def fmt(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "–"
    if unit == "s":
        if value < 1:
            return f"{value * 1000:.0f} ms"
        if value < 120:
            return f"{value:.1f} s"
        if value < 7200:
            return f"{value / 60:.1f} min"
        return f"{value / 3600:.1f} h"
    return f"{value:.1f}"


def line_chart(points: Sequence[dict[str, Any]], *, title: str, unit: str = "s") -> SafeString:
    values = [p[k] for p in points for k in ("p50", "p90") if p[k] is not None]
    if not values:
        return mark_safe(f'<p class="muted">{escape(title)}: no data in this period.</p>')  # noqa: S308
    top = max(values) * 1.1 or 1.0
    inner_w, inner_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    step = inner_w / max(1, len(points) - 1)

    def xy(i: int, v: float) -> str:
        return f"{PAD_L + i * step:.1f},{PAD_T + inner_h * (1 - v / top):.1f}"

    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart" '
        f'aria-label="{escape(title)}: p50 and p90 per day">',
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0, 0.5, 1):
        y = PAD_T + inner_h * (1 - frac)
        parts.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(top * frac, unit))}</text>"
        )
    for key, css in (("p90", "p90"), ("p50", "p50")):
        runs: list[list[str]] = [[]]
        for i, p in enumerate(points):
            if p[key] is None:
                runs.append([])
            else:
                runs[-1].append(xy(i, p[key]))
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" class="{css}"/>')
            elif run:
                parts.append(f'<polyline points="{" ".join(run)}" class="{css}"/>')
    label_every = max(1, len(points) // 6)
    for i, p in enumerate(points):
        if i % label_every == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{PAD_L + i * step:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{p["day"]:%d %b}</text>'
            )
    parts.append(
        f'<text x="{WIDTH - PAD_R}" y="{PAD_T - 2}" text-anchor="end" class="legend">'
        '<tspan class="p50">━ p50</tspan>  <tspan class="p90">━ p90</tspan></text>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def bar_chart(rows: Sequence[dict[str, Any]], *, metric: str, title: str) -> SafeString:
    data = [
        (r["value"], r[metric]["p50"], r[metric]["p90"])
        for r in rows
        if r[metric]["p50"] is not None
    ]
    if not data:
        return mark_safe(f'<p class="muted">{escape(title)}: no data in this period.</p>')  # noqa: S308
    top = max(p90 or p50 for _, p50, p90 in data) * 1.05 or 1.0
    bar_h, label_w = 22, 160
    height = PAD_T + bar_h * len(data) + 8
    inner_w = WIDTH - label_w - 150
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" class="chart" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (name, p50, p90) in enumerate(data):
        y = PAD_T + i * bar_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">'
            f"{escape(str(name)[:24])}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{inner_w * p50 / top:.1f}" '
            f'height="{bar_h - 8}" class="bar"/>'
        )
        if p90 is not None:
            x = label_w + inner_w * p90 / top
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 2}" y2="{y + bar_h - 2}" '
                'class="p90mark"/>'
            )
        parts.append(
            f'<text x="{label_w + inner_w + 8}" y="{y + 15}">'
            f"{escape(fmt(p50))} / {escape(fmt(p90))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
