"""Server-rendered SVG charts: no chart library, no download at run time.

Colours come from CSS classes (both themes; the CSP forbids inline styles). Every chart has a
<title> and <desc>, every mark a <title> so the number shows on hover, and the dashboard puts
the same numbers in a table for screen readers.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

CELL = 11
GAP = 2


def _n(value: float) -> str:
    # format_html escapes its arguments to strings first, so numbers are formatted here.
    return f"{value:.1f}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _svg(width: int, height: int, title: str, desc: str, body: str, css: str) -> SafeString:
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-label="{}">'
        "<title>{}</title><desc>{}</desc>{}</svg>",
        css,
        width,
        height,
        title,
        title,
        desc,
        mark_safe(body),  # noqa: S308 - body is built with format_html below
    )


def heatmap(counts: dict[date, int], today: date, weeks: int = 53) -> SafeString:
    """A GitHub-style calendar of reviews per day for the last `weeks` weeks."""
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    peak = max(counts.values(), default=0)
    cells = []
    day = start
    while day <= today:
        n = counts.get(day, 0)
        level = 0 if n == 0 else min(4, 1 + (4 * n - 1) // max(peak, 1))
        x = 28 + ((day - start).days // 7) * (CELL + GAP)
        y = 14 + day.weekday() * (CELL + GAP)
        # Built with an f-string, not format_html: every value is a number or a date we
        # formatted ourselves, and a year of cells is the hot path of the dashboard.
        cells.append(
            f'<rect class="heat heat-{level}" x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2">'
            f"<title>{day:%a %d %b %Y}: {n} review{'s' if n != 1 else ''}</title></rect>"
        )
        day += timedelta(days=1)
    months = []
    for week in range(weeks):
        first = start + timedelta(days=7 * week)
        if first.day <= 7:
            months.append(
                format_html(
                    '<text class="chart-label" x="{}" y="10">{}</text>',
                    28 + week * (CELL + GAP),
                    f"{first:%b}",
                )
            )
    days = format_html_join(
        "",
        '<text class="chart-label" x="0" y="{}">{}</text>',
        [(14 + i * (CELL + GAP) + 9, d) for i, d in ((0, "Mon"), (2, "Wed"), (4, "Fri"))],
    )
    total = sum(counts.values())
    body = "".join(cells) + "".join(months) + days
    width = 28 + weeks * (CELL + GAP)
    return _svg(
        width,
        14 + 7 * (CELL + GAP),
        "Reviews per day, last year",
        f"{_count(total, 'review')} on {_count(sum(1 for v in counts.values() if v), 'day')}.",
        body,
        "chart-heatmap",
    )


def bar_chart(values: list[tuple[date, int]], title: str) -> SafeString:
    width, height, left, bottom = 560, 150, 28, 22
    peak = max((v for _, v in values), default=0) or 1
    slot = (width - left) / max(len(values), 1)
    bars = []
    for i, (day, value) in enumerate(values):
        h = (height - bottom - 10) * value / peak
        x = left + i * slot + 3
        bars.append(
            format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" rx="2"><title>{}: {}</title></rect>'
                '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                x,
                height - bottom - h,
                slot - 6,
                h,
                f"{day:%a %d %b}",
                value,
                x + (slot - 6) / 2,
                height - 6,
                day.day,
            )
        )
        if value:
            bars.append(
                format_html(
                    '<text class="chart-value" x="{}" y="{}" text-anchor="middle">{}</text>',
                    x + (slot - 6) / 2,
                    height - bottom - h - 3,
                    value,
                )
            )
    axis = format_html(
        '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
        left,
        height - bottom,
        width,
        height - bottom,
    )
    desc = ", ".join(f"{d:%d %b}: {v}" for d, v in values)
    return _svg(width, height, title, desc, "".join(bars) + axis, "chart-bars")


def line_chart(
    series: list[tuple[str, list[tuple[date, float]]]], start: date, end: date, title: str
) -> SafeString:
    """Lines of 0-100 values over days; one CSS class per series index for its colour."""
    width, height, left, bottom, top = 560, 190, 30, 22, 8
    span = max((end - start).days, 1)

    def x(day: date) -> float:
        return left + (width - left - 8) * (day - start).days / span

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / 100)

    parts = []
    for level in (0, 50, 80, 100):
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/><text class="chart-label" x="0" y="{}">{}</text>',
                left,
                width - 8,
                y(level),
                y(level),
                y(level) + 4,
                level,
            )
        )
    for index, (name, points) in enumerate(series):
        if not points:
            continue
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x(d):.1f},{y(v):.1f}" for i, (d, v) in enumerate(points)
        )
        parts.append(
            format_html(
                '<path class="line line-{}" d="{}"><title>{}</title></path>', index % 7, path, name
            )
        )
        for d, v in points[-1:]:
            parts.append(
                format_html(
                    '<circle class="dot line-{}" cx="{}" cy="{}" r="3"><title>{}: {} on {}</title></circle>',
                    index % 7,
                    x(d),
                    y(v),
                    name,
                    v,
                    f"{d:%d %b}",
                )
            )
    parts.append(
        format_html(
            '<text class="chart-label" x="{}" y="{}">{}</text>', left, height - 4, f"{start:%d %b}"
        )
    )
    parts.append(
        format_html(
            '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
            width - 8,
            height - 4,
            f"{end:%d %b}",
        )
    )
    desc = (
        "; ".join(
            f"{name}: {points[-1][1]:.0f} on {points[-1][0]:%d %b}"
            for name, points in series
            if points
        )
        or "No history yet."
    )
    return _svg(width, height, title, escape(desc), "".join(parts), "chart-lines")
