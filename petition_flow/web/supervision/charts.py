"""Charts drawn on the server as inline SVG: no script, nothing fetched, so they print and work
offline. Each bar is a link to the case list behind its number, and carries the number as text
(a chart is read on paper too)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
BAR = 22
GAP = 8
LABEL = 150
COLOURS = ("#2f6fb0", "#d08a1e", "#4b9b5f", "#a0453c", "#7a5aa6", "#5f7f8f")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the number as shown
    href: str


def _esc(value) -> str:
    return str(escape(value))


def bars(title: str, items: list[Bar], maximum: float | None = None) -> Markup:
    """Horizontal bars, one per item, scaled to ``maximum`` (the largest value by default)."""
    top = maximum or max((b.value or 0 for b in items), default=0) or 1
    height = len(items) * (BAR + GAP) + GAP + 24
    out = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
           f"<title>{_esc(title)}</title>"]
    span = WIDTH - LABEL - 70
    for i, b in enumerate(items):
        y = GAP + i * (BAR + GAP)
        w = 0 if b.value is None else max(1, round(span * b.value / top))
        out.append(f'<text x="{LABEL - 6}" y="{y + BAR - 6}" text-anchor="end" '
                   f'font-size="13">{_esc(b.label)}</text>')
        out.append(f'<a href="{_esc(b.href)}" class="chart-link">'
                   f'<rect x="{LABEL}" y="{y}" width="{w}" height="{BAR}" fill="{COLOURS[0]}">'
                   f"<title>{_esc(b.label)}：{_esc(b.text)}</title></rect>"
                   f'<text class="chart-value" x="{LABEL + w + 6}" y="{y + BAR - 6}" font-size="13">{_esc(b.text)}'
                   f"</text></a>")
    out.append("</svg>")
    return Markup("".join(out))


def columns(title: str, labels: list[str], series: list[tuple[str, list[Bar]]]) -> Markup:
    """Grouped columns: one group per label (a month), one column per series."""
    n = max(len(labels), 1)
    height, base, legend = 260, 210, 20
    step = (WIDTH - 60) / n
    width = max(4, step / (len(series) + 1))
    top = max((b.value or 0 for _, s in series for b in s), default=0) or 1
    out = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" '
           f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
           f"<title>{_esc(title)}</title>",
           f'<line x1="40" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="#888"/>']
    for k, (name, _) in enumerate(series):
        out.append(f'<rect x="{50 + k * 110}" y="4" width="12" height="12" '
                   f'fill="{COLOURS[k % len(COLOURS)]}"/><text x="{66 + k * 110}" y="15" '
                   f'font-size="12">{_esc(name)}</text>')
    for i, label in enumerate(labels):
        x0 = 45 + i * step
        out.append(f'<text x="{x0 + step / 2:.1f}" y="{base + 18}" text-anchor="middle" '
                   f'font-size="11">{_esc(label)}</text>')
        for k, (_, values) in enumerate(series):
            b = values[i]
            h = 0 if not b.value else max(1, round((base - legend - 20) * b.value / top))
            x = x0 + (k + 0.5) * width
            out.append(f'<a href="{_esc(b.href)}" class="chart-link"><rect x="{x:.1f}" '
                       f'y="{base - h}" width="{width * 0.9:.1f}" height="{h}" '
                       f'fill="{COLOURS[k % len(COLOURS)]}"><title>{_esc(label)} {_esc(b.text)}'
                       f'</title></rect><text class="chart-value" x="{x + width * 0.45:.1f}" y="{base - h - 3}" '
                       f'text-anchor="middle" font-size="11">{_esc(b.text)}</text></a>')
    out.append("</svg>")
    return Markup("".join(out))
