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


# --- trade-off curve (the staff run page) ---
CURVE_H, LEFT, RIGHT, TOP, BOTTOM = 320, 70, 20, 20, 50


def curve(title: str, points: list[tuple[int, float, str, bool]], x_label: str, y_label: str) -> Markup:
    """A trade-off curve as a scatter with a line: (workers to move, shortfall penalty, the
    point's label, chosen?) per point. x runs from 0 to the most moves, y from 0 to the largest
    penalty (either 1 when all are 0), so the fewest-moves end sits left and high, the
    unconstrained end right and low; the chosen point is drawn larger, with class `chosen`."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, CURVE_H - TOP - BOTTOM
    top_x = max((x for x, _, _, _ in points), default=0) or 1
    top_y = max((y for _, y, _, _ in points), default=0) or 1

    def at(x: float, y: float) -> tuple[float, float]:
        return LEFT + x / top_x * plot_w, TOP + plot_h - y / top_y * plot_h

    x0, y0 = at(0, 0)
    parts = [
        f'<svg class="chart curve" role="img" viewBox="0 0 {WIDTH} {CURVE_H}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{LEFT + plot_w:.1f}" y2="{y0:.1f}" class="chart-axis"/>',
        f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x0:.1f}" y2="{TOP:.1f}" class="chart-axis"/>',
        f'<text x="{x0:.1f}" y="{y0 + 16:.1f}" text-anchor="middle" class="chart-label">0</text>',
        f'<text x="{LEFT + plot_w:.1f}" y="{y0 + 16:.1f}" text-anchor="middle" class="chart-label">{top_x:g}</text>',
        f'<text x="{x0 - 6:.1f}" y="{y0:.1f}" text-anchor="end" class="chart-label">0</text>',
        f'<text x="{x0 - 6:.1f}" y="{TOP + 4:.1f}" text-anchor="end" class="chart-label">{top_y:g}</text>',
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{CURVE_H - 8}" text-anchor="middle" class="chart-axis-label">'
        f"{escape(x_label)}</text>",
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" class="chart-axis-label" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(y_label)}</text>',
    ]
    line = " ".join("{:.1f},{:.1f}".format(*at(x, y)) for x, y, _, _ in sorted(points, key=lambda p: p[0]))
    if len(points) > 1:
        parts.append(f'<polyline points="{line}" class="curve-line"/>')
    labels: dict[tuple[int, float], list[str]] = {}
    for x, y, label, _ in points:
        labels.setdefault((x, y), []).append(label)  # points on one spot share one caption
    for x, y, label, chosen in points:
        cx, cy = at(x, y)
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{9 if chosen else 6}" '
            f'class="curve-point{" chosen" if chosen else ""}" data-moves="{x}" data-penalty="{y:g}">'
            f"<title>{escape(label)}</title></circle>"
        )
    for (x, y), names in labels.items():
        cx, cy = at(x, y)
        parts.append(
            f'<text x="{cx:.1f}" y="{cy - 12:.1f}" text-anchor="{"end" if x == top_x and x else "start"}" '
            f'class="chart-value">{escape(" ".join(names))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
