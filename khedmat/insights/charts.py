"""Bar charts drawn on the server as inline SVG: no script, a title and a description for screen
readers (the same figures are in a table beside each chart), bars mirrored in right-to-left pages."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT = 480, 200
TOP, BOTTOM, SIDE = 22, 30, 4
BAR_COLOUR = "#1d6f8c"
TEXT_COLOUR = "#222"


def bar_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
              values: Sequence[float | None], value_texts: Sequence[str], rtl: bool = False,
              maximum: float | None = None) -> SafeString:
    """Bars for `values` (None: withheld, no bar), each with its label below and its text above."""
    count = max(len(values), 1)
    slot = (WIDTH - 2 * SIDE) / count
    top = maximum if maximum is not None else max([value for value in values if value is not None] or [0])
    plot = HEIGHT - TOP - BOTTOM
    items = []
    for position, (label, value, text) in enumerate(zip(labels, values, value_texts, strict=True)):
        place = count - 1 - position if rtl else position
        centre = SIDE + slot * place + slot / 2
        height = (value / top * plot) if value is not None and top else 0
        bar = format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                          f"{centre - slot * 0.35:.1f}", f"{TOP + plot - height:.1f}", f"{slot * 0.7:.1f}",
                          f"{height:.1f}", BAR_COLOUR) if height else ""
        items.append((bar, f"{centre:.1f}", f"{TOP + plot - height - 5:.1f}", text,
                      f"{centre:.1f}", f"{HEIGHT - BOTTOM + 18:.1f}", label))
    body = format_html_join(
        "", '{}<text x="{}" y="{}" text-anchor="middle" font-size="13">{}</text>'
            '<text x="{}" y="{}" text-anchor="middle" font-size="13">{}</text>', items)
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#888"/><g fill="{}">{}</g></svg>',
        WIDTH, HEIGHT, chart_id, chart_id, chart_id, title, chart_id, description,
        SIDE, HEIGHT - BOTTOM, WIDTH - SIDE, HEIGHT - BOTTOM, TEXT_COLOUR, body)
