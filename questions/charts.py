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


def _svg(
    width: int, height: int, title: str, desc: str, body: str, css: str, *, sized: bool = False
) -> SafeString:
    # `sized` gives the drawing its own size in CSS pixels (one unit, one pixel), for a chart
    # that must not be scaled down to fit.
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}"{} role="img" aria-label="{}">'
        "<title>{}</title><desc>{}</desc>{}</svg>",
        css,
        width,
        height,
        format_html(' width="{}" height="{}"', width, height) if sized else "",
        title,
        title,
        desc,
        mark_safe(body),  # noqa: S308 - body is built with format_html below
    )


def _wide_and_narrow(wide: SafeString, narrow: SafeString) -> SafeString:
    # A chart scaled to a 358 px phone column shrinks its labels with it (a 560-unit drawing:
    # 9 units become 5.8 px), so the narrow screens get their own drawing, about as wide as the
    # column, and the stylesheet shows one of the two (.chart-wide, .chart-narrow in app.css).
    return format_html("{}{}", wide, narrow)


HEAT_LEFT = 32  # room for the day names


def heatmap(counts: dict[date, int], today: date, weeks: int = 53) -> SafeString:
    """A GitHub-style calendar of reviews per day for the last `weeks` weeks.

    Drawn at its own size and never scaled down, so its labels stay 12 px: on a phone its
    wrapper scrolls sideways instead (dashboard.html), starting at the latest weeks, and the day
    names repeat after the last week for that end of the calendar."""
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    peak = max(counts.values(), default=0)
    cells = []
    day = start
    while day <= today:
        n = counts.get(day, 0)
        level = 0 if n == 0 else min(4, 1 + (4 * n - 1) // max(peak, 1))
        x = HEAT_LEFT + ((day - start).days // 7) * (CELL + GAP)
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
                    HEAT_LEFT + week * (CELL + GAP),
                    f"{first:%b}",
                )
            )
    grid_end = HEAT_LEFT + weeks * (CELL + GAP)
    day_names = ((0, "Mon"), (2, "Wed"), (4, "Fri"))
    days = format_html_join(
        "",
        '<text class="chart-label" x="0" y="{}">{}</text>',
        [(14 + i * (CELL + GAP) + 10, d) for i, d in day_names],
    ) + format_html_join(
        "",
        '<text class="chart-label heat-days-end" x="{}" y="{}">{}</text>',
        [(grid_end + 2, 14 + i * (CELL + GAP) + 10, d) for i, d in day_names],
    )
    total = sum(counts.values())
    body = "".join(cells) + "".join(months) + days
    return _svg(
        grid_end + HEAT_LEFT,
        14 + 7 * (CELL + GAP),
        "Reviews per day, last year",
        f"{_count(total, 'review')} on {_count(sum(1 for v in counts.values() if v), 'day')}.",
        body,
        "chart-heatmap",
        sized=True,
    )


def bar_chart(values: list[tuple[date, int]], title: str) -> SafeString:
    return _wide_and_narrow(
        _bar_chart(values, title, width=560, left=28, top=10, css="chart-bars chart-wide"),
        _bar_chart(values, title, width=340, left=4, top=18, css="chart-bars-narrow chart-narrow"),
    )


def _bar_chart(
    values: list[tuple[date, int]], title: str, *, width: int, left: int, top: int, css: str
) -> SafeString:
    height, bottom = 140 + top, 22
    peak = max((v for _, v in values), default=0) or 1
    slot = (width - left) / max(len(values), 1)
    bars = []
    for i, (day, value) in enumerate(values):
        h = (height - bottom - top) * value / peak
        x = left + i * slot + 3
        bars.append(
            format_html(
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" rx="2"><title>{}: {}</title></rect>'
                '<text class="chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(x),
                _n(height - bottom - h),
                _n(slot - 6),
                _n(h),
                f"{day:%a %d %b}",
                value,
                _n(x + (slot - 6) / 2),
                height - 6,
                day.day,
            )
        )
        if value:
            bars.append(
                format_html(
                    '<text class="chart-value" x="{}" y="{}" text-anchor="middle">{}</text>',
                    _n(x + (slot - 6) / 2),
                    _n(height - bottom - h - 3),
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
    return _svg(width, height, title, desc, "".join(bars) + axis, css)


def line_chart(
    series: list[tuple[str, list[tuple[date, float]]]], start: date, end: date, title: str
) -> SafeString:
    """Lines of 0-100 values over days; one CSS class per series index for its colour."""
    return _wide_and_narrow(
        _line_chart(series, start, end, title, width=560, height=190, css="chart-lines chart-wide"),
        _line_chart(
            series, start, end, title, width=340, height=200, css="chart-lines-narrow chart-narrow"
        ),
    )


def _line_chart(
    series: list[tuple[str, list[tuple[date, float]]]],
    start: date,
    end: date,
    title: str,
    *,
    width: int,
    height: int,
    css: str,
) -> SafeString:
    left, bottom, top = 30, 22, 8
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
                    f"{v:.0f}",
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
    return _svg(width, height, title, escape(desc), "".join(parts), css)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def time_per_question(
    rows: list[tuple[str, int, str]], even_share: int | None, title: str
) -> SafeString:
    """Horizontal bars of seconds per question, each under its label; `rows` are (label,
    seconds, seconds in words). A pale track behind each bar shows an even share of the time
    allowed, so a bar that runs past it took more than its share.

    Narrow on purpose (340 units): on a 390 px phone it is drawn near 1:1, so its 13-unit
    labels stay above 11 px; the stylesheet caps its width on a desktop."""
    width, top, row_h, right = 340, 4, 42, 96
    peak = max([seconds for _, seconds, _ in rows] + [even_share or 0, 1])

    def x(seconds: float) -> float:
        return (width - right) * seconds / peak

    parts = []
    for i, (label, seconds, words) in enumerate(rows):
        y = top + i * row_h
        if even_share:
            parts.append(
                format_html(
                    '<rect class="time-share" x="0" y="{}" width="{}" height="14" rx="2"/>',
                    _n(y + 19),
                    _n(x(even_share)),
                )
            )
        parts.append(
            format_html(
                '<text class="mock-chart-label" x="0" y="{}">{}</text>'
                '<rect class="bar" x="0" y="{}" width="{}" height="14" rx="2">'
                "<title>{}: {}</title></rect>"
                '<text class="mock-chart-value" x="{}" y="{}">{}</text>',
                _n(y + 13),
                _clip(label, 44),
                _n(y + 19),
                _n(max(x(seconds), 2)),
                label,
                words,
                _n(max(x(seconds), 2) + 5),
                _n(y + 31),
                words,
            )
        )
    bottom = top + row_h * len(rows)
    if even_share:
        parts.append(
            format_html(
                '<rect class="time-share" x="0" y="{}" width="14" height="10" rx="2"/>'
                '<text class="mock-chart-value" x="20" y="{}">{}</text>',
                bottom + 2,
                bottom + 11,
                "pale: an even share of the time allowed",
            )
        )
        bottom += 16
    desc = "; ".join(f"{label}: {words}" for label, _, words in rows) or "No questions."
    return _svg(width, bottom + 2, title, desc, "".join(parts), "chart-mock chart-time")


def score_history(points: list[tuple[str, str, float]], title: str) -> SafeString:
    """Scores (0-100) in the order they were taken, one dot each: `points` are (when, name,
    score). Spaced by order, not by date, so two mocks on one day stay apart. Narrow like
    time_per_question, so its labels stay readable on a phone."""
    width, height, left, right, top, bottom = 340, 160, 30, 12, 8, 24
    plot_w = width - left - right

    def x(i: int) -> float:
        return left + (plot_w * i / (len(points) - 1) if len(points) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (1 - value / 100)

    parts = []
    for level in (0, 50, 100):
        parts.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="mock-chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                width - right,
                _n(y(level)),
                _n(y(level)),
                left - 5,
                _n(y(level) + 4),
                level,
            )
        )
    if len(points) > 1:
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(score):.1f}"
            for i, (_, _, score) in enumerate(points)
        )
        parts.append(format_html('<path class="score-line" d="{}"/>', path))
    for i, (when, name, score) in enumerate(points):
        parts.append(
            format_html(
                '<circle class="score-dot" cx="{}" cy="{}" r="4"><title>{}, {}: {}/100</title></circle>',
                _n(x(i)),
                _n(y(score)),
                name,
                when,
                f"{score:.0f}",
            )
        )
    if points:
        parts.append(
            format_html(
                '<text class="mock-chart-label" x="{}" y="{}" text-anchor="{}">{}</text>',
                _n(x(0)),
                height - 5,
                "start" if len(points) > 1 else "middle",
                points[0][0],
            )
        )
    if len(points) > 1:
        parts.append(
            format_html(
                '<text class="mock-chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
                _n(x(len(points) - 1)),
                height - 5,
                points[-1][0],
            )
        )
    desc = "; ".join(f"{name}, {when}: {score:.0f}" for when, name, score in points)
    return _svg(width, height, title, desc or "No scores yet.", "".join(parts), "chart-mock")
