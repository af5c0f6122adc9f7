"""The overview's chart of notifications sent and failed per minute over the last 24 hours, laid out
for inline SVG drawn on the server: no script (the console's Content-Security-Policy allows none),
one bar per minute that had any, each with its figures as a tooltip, and the totals in text too."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderdesk.console.models import CHART_SPAN
from orderdesk.notifications.models import Channel, MinuteResults
from orderdesk.notifications.repository.result_minutes import minute_of

MINUTES = int(CHART_SPAN / timedelta(minutes=1))
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 10, 30
"""Room around the plot for the axes' labels, in the SVG's units (one unit a minute across)."""
PLOT_HEIGHT = 180
WIDTH = LEFT + MINUTES + RIGHT
HEIGHT = TOP + PLOT_HEIGHT + BOTTOM
HOURS_BETWEEN_LABELS = 3


@dataclass(frozen=True, slots=True)
class Bar:
    """One minute: the sent part from the axis up, the failed part stacked on it."""

    x: int
    sent_y: float
    sent_height: float
    failed_y: float
    failed_height: float
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class ChannelTotal:
    channel: str
    sent: int
    failed: int


@dataclass(frozen=True, slots=True)
class Chart:
    start: datetime
    end: datetime
    bars: list[Bar]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    totals: list[ChannelTotal]
    sent: int
    failed: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    top: int = TOP
    plot_width: int = MINUTES
    plot_height: int = PLOT_HEIGHT

    @property
    def axis_y(self) -> int:
        return TOP + PLOT_HEIGHT


def minute_chart(minutes: Sequence[MinuteResults], now: datetime) -> Chart:
    """The chart of the MINUTES minutes up to and including the one `now` is in."""
    end = minute_of(now)
    start = end - timedelta(minutes=MINUTES - 1)
    per_minute: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    per_channel: dict[Channel, list[int]] = {channel: [0, 0] for channel in Channel}
    for row in minutes:
        if not start <= row.minute <= end:
            continue
        figures = per_minute[row.minute]
        figures[0] += row.sent
        figures[1] += row.failed
        per_channel[row.channel][0] += row.sent
        per_channel[row.channel][1] += row.failed
    top = nice_ceiling(max((sent + failed for sent, failed in per_minute.values()), default=0))
    scale = PLOT_HEIGHT / top
    bars = []
    for minute, (sent, failed) in sorted(per_minute.items()):
        sent_height, failed_height = sent * scale, failed * scale
        axis = TOP + PLOT_HEIGHT
        bars.append(
            Bar(
                x=LEFT + int((minute - start) / timedelta(minutes=1)),
                sent_y=round(axis - sent_height, 2),
                sent_height=round(sent_height, 2),
                failed_y=round(axis - sent_height - failed_height, 2),
                failed_height=round(failed_height, 2),
                title=f"{minute:%Y-%m-%d %H:%M} UTC: {sent} sent, {failed} failed",
            )
        )
    return Chart(
        start=start,
        end=end,
        bars=bars,
        x_ticks=_hour_ticks(start),
        y_ticks=[
            Tick(TOP + PLOT_HEIGHT - PLOT_HEIGHT * part / 2, f"{top * part // 2:,}") for part in range(3)
        ],
        totals=[ChannelTotal(channel.value, *figures) for channel, figures in per_channel.items()],
        sent=sum(figures[0] for figures in per_channel.values()),
        failed=sum(figures[1] for figures in per_channel.values()),
    )


def nice_ceiling(peak: int) -> int:
    """The least of 2, 4, 10, 20, 40, 100 … that is at least `peak`: an axis whose top and middle
    read as round numbers."""
    if peak <= 2:
        return 2
    power: int = 10 ** int(math.log10(peak))
    return next(step * power for step in (1, 2, 4, 10) if step * power >= peak)


def _hour_ticks(start: datetime) -> list[Tick]:
    """A label at every HOURS_BETWEEN_LABELS-th full hour (UTC) within the chart."""
    first = start.replace(minute=0) + timedelta(hours=1) if start.minute else start
    ticks = []
    moment = first
    while moment < start + CHART_SPAN:
        if moment.hour % HOURS_BETWEEN_LABELS == 0:
            ticks.append(Tick(LEFT + (moment - start) / timedelta(minutes=1), f"{moment:%H:%M}"))
        moment += timedelta(hours=1)
    return ticks
