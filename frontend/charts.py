"""Charts drawn on the server as SVG: no script, no third party, readable without colour.

Every text inside goes through markupsafe's escape; the callers pass already-translated
labels, so the charts follow the request's locale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

# Colour-blind-safe line colours (Okabe-Ito), each dark enough on white for 3:1.
LINE_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9")
BAR_COLOURS = {"up": "#15803d", "degraded": "#b45309", "down": "#b91c1c", "none": "#9ca3af"}


@dataclass(frozen=True)
class Line:
    label: str
    points: list[tuple[datetime, float | None]]


@dataclass(frozen=True)
class Bar:
    status: str  # up | degraded | down | none
    tooltip: str


def latency_chart(
    lines: Sequence[Line], title: str, y_label: str, width: int = 720, height: int = 220
) -> Markup:
    """Response time per line (one per region) over time, with a legend."""
    pad_l, pad_r, pad_t, pad_b = 48, 8, 8, 24
    times = [t for line in lines for t, v in line.points if v is not None]
    values = [v for line in lines for _t, v in line.points if v is not None]
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    if times:
        t0, t1 = min(times).timestamp(), max(times).timestamp()
        top = max(values) * 1.1 or 1.0
        span = (t1 - t0) or 1.0
        plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b

        def xy(t: datetime, v: float) -> str:
            x = pad_l + (t.timestamp() - t0) / span * plot_w
            y = pad_t + plot_h - v / top * plot_h
            return f"{x:.1f},{y:.1f}"

        for frac in (0, 0.5, 1):
            y = pad_t + plot_h - frac * plot_h
            out.append(
                f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#d0d5dc"/>'
            )
            out.append(
                f'<text x="{pad_l - 4}" y="{y + 4:.1f}" text-anchor="end" '
                f'font-size="11" fill="#4b5563">{top * frac:.0f}</text>'
            )
        out.append(
            f'<text x="4" y="{pad_t + 10}" font-size="11" fill="#4b5563">{escape(y_label)}</text>'
        )
        for i, line in enumerate(lines):
            pts = " ".join(xy(t, v) for t, v in line.points if v is not None)
            colour = LINE_COLOURS[i % len(LINE_COLOURS)]
            out.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{pts}"><title>{escape(line.label)}</title></polyline>'
            )
    out.append("</svg>")
    return Markup("".join(out))


def uptime_bars(bars: Sequence[Bar], title: str, width: int = 540, height: int = 34) -> Markup:
    """One bar per day, oldest left; each carries its own tooltip (<title>)."""
    out = [
        f'<svg class="bars" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    step = width / max(len(bars), 1)
    # 2 units between bars, or a quarter of a bar when a year of them leaves no room.
    bar_width = step - 2 if step > 8 else step * 0.75
    for i, bar in enumerate(bars):
        colour = BAR_COLOURS.get(bar.status, BAR_COLOURS["none"])
        out.append(
            f'<rect x="{i * step:.2f}" y="0" width="{bar_width:.2f}" '
            f'height="{height}" rx="1.5" fill="{colour}">'
            f"<title>{escape(bar.tooltip)}</title></rect>"
        )
    out.append("</svg>")
    return Markup("".join(out))
