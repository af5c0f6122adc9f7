"""The overview's chart of notifications sent and failed per minute over the last 24 hours, drawn on
the server as inline SVG: no script (the console's Content-Security-Policy allows none). A bar per
minute, sent from the axis up and failed stacked above, each minute's figures as its tooltip, and the
totals in text beside it.

The bars are built here as one string rather than in the template: up to 1440 minutes in a Jinja loop
cost the page more than all its queries. Only numbers and times made here go into it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup

from orderdesk.console.models import CHART_SPAN
from orderdesk.notifications.models import ChannelResults, MinuteResults
from orderdesk.notifications.repository.result_minutes import epoch_minute

MINUTES = int(CHART_SPAN / timedelta(minutes=1))
MINUTES_A_DAY = 24 * 60
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 10, 30
"""Room around the plot for the axes' labels, in the SVG's units (one unit a minute across)."""
PLOT_HEIGHT = 180
AXIS = TOP + PLOT_HEIGHT
HOURS_BETWEEN_LABELS = 3


@dataclass(frozen=True, slots=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True, slots=True)
class Chart:
    start: datetime
    end: datetime
    bars: Markup
    """The sent and failed bars (two paths) and a rectangle per minute with its figures as title."""
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    channels: Sequence[ChannelResults]
    width: int = LEFT + MINUTES + RIGHT
    height: int = AXIS + BOTTOM
    left: int = LEFT
    top: int = TOP
    axis_y: int = AXIS
    plot_width: int = MINUTES

    @property
    def sent(self) -> int:
        return sum(channel.sent for channel in self.channels)

    @property
    def failed(self) -> int:
        return sum(channel.failed for channel in self.channels)


def minute_chart(
    minutes: Sequence[MinuteResults], channels: Sequence[ChannelResults], now: datetime
) -> Chart:
    """The chart of the MINUTES minutes up to and including the one `now` is in; `channels` are the
    totals over the same minutes."""
    last = epoch_minute(now)
    first = last - (MINUTES - 1)
    shown = [minute for minute in minutes if first <= minute.epoch_minute <= last]
    top = nice_ceiling(max((minute.sent + minute.failed for minute in shown), default=0))
    start = datetime.fromtimestamp(first * 60, UTC)
    return Chart(
        start=start,
        end=datetime.fromtimestamp(last * 60, UTC),
        bars=_bars(shown, first, PLOT_HEIGHT / top),
        x_ticks=_hour_ticks(start),
        y_ticks=[Tick(AXIS - PLOT_HEIGHT * part / 2, f"{top * part // 2:,}") for part in range(3)],
        channels=channels,
    )


def _bars(minutes: Sequence[MinuteResults], first: int, scale: float) -> Markup:
    """Whole units of height (a 180th of the plot each) are exact enough for a bar a pixel wide."""
    sent: list[str] = []
    failed: list[str] = []
    hovers: list[str] = []
    days: dict[int, str] = {}
    for minute in minutes:
        x = LEFT + minute.epoch_minute - first
        sent_top = AXIS - round(minute.sent * scale)
        if minute.sent:
            sent.append(f"M{x}.5 {AXIS}V{sent_top}")
        if minute.failed:
            failed.append(f"M{x}.5 {sent_top}V{sent_top - round(minute.failed * scale)}")
        day, of_day = divmod(minute.epoch_minute, MINUTES_A_DAY)
        label = days.get(day)
        if label is None:
            midnight = datetime.fromtimestamp(day * 86400, UTC)
            label = days[day] = f"{midnight.day} {midnight:%b}"
        moment = f"{label} {of_day // 60:02}:{of_day % 60:02} UTC"
        hovers.append(
            f'<rect class="minute" x="{x}" y="{TOP}" width="1" height="{PLOT_HEIGHT}"><title>{moment}:'
            f" {minute.sent} sent, {minute.failed} failed</title></rect>"
        )
    paths = [
        f'<path class="{name}" d="{"".join(d)}"/>' for name, d in (("sent", sent), ("failed", failed)) if d
    ]
    # Numbers and times made above, no text from anyone: nothing here needs escaping.
    return Markup("\n".join([*paths, *hovers]))


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
