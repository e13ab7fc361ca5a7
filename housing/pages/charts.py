"""Bar charts as inline SVG, drawn on the server: no chart library, no external service, and
nothing the Content-Security-Policy would block (SVG presentation attributes are not styles).

`bars` is pure: labels and values in, an SVG string out, so a test can read the bars back.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, BAR_H, GAP, LABEL_W, VALUE_W = 640, 22, 8, 150, 110


def bars(title: str, items: list[tuple[str, float, str]], maximum: float | None = None) -> Markup:
    """Horizontal bars: (label, value, the value as printed). A bar's length is its value
    over the largest value (or `maximum`, e.g. 100 for percentages)."""
    top = maximum or max((value for _, value, _ in items), default=0) or 1
    room = WIDTH - LABEL_W - VALUE_W
    height = max(1, len(items)) * (BAR_H + GAP) + GAP
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (label, value, shown) in enumerate(items):
        y = GAP + index * (BAR_H + GAP)
        length = max(0.0, min(1.0, value / top)) * room
        parts.append(
            f'<text x="{LABEL_W - 6}" y="{y + BAR_H * 0.7:.1f}" text-anchor="end" class="chart-label">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_W}" y="{y}" width="{room}" height="{BAR_H}" class="chart-track"/>'
            f'<rect x="{LABEL_W}" y="{y}" width="{length:.1f}" height="{BAR_H}" class="chart-bar" '
            f'data-value="{value}"/>'
            f'<text x="{LABEL_W + room + 6}" y="{y + BAR_H * 0.7:.1f}" class="chart-value">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
