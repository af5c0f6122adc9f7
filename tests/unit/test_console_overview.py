"""The overview's chart and figures as laid out for the page: one bar per minute that had results,
stacked and scaled to a round axis, minutes outside the day left out, hours labelled; ages as an
operator reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderdesk.console.api.chart import AXIS, LEFT, TOP, minute_chart, nice_ceiling
from orderdesk.console.api.overview import age
from orderdesk.notifications.models import Channel, ChannelResults, MinuteResults

NOW = datetime(2026, 11, 24, 14, 5, 30, tzinfo=UTC)
MINUTE = int(NOW.timestamp()) // 60


def test_chart__a_bar_per_minute__sent_from_the_axis__failed_stacked_above__figures_as_its_title() -> None:
    chart = minute_chart(
        [
            MinuteResults(MINUTE - 1, sent=0, failed=4),
            MinuteResults(MINUTE, sent=8, failed=2),
        ],
        [ChannelResults(Channel.EMAIL, 6, 5), ChannelResults(Channel.SMS, 2, 1)],
        NOW,
    )

    # The peak is 10 (a round number already): 8 sent fill 8/10 of the plot, 2 failed the rest; the
    # current minute is the last of the day, the one before it has only failures.
    last, earlier = LEFT + 1439, LEFT + 1438
    assert f'<path class="sent" d="M{last}.5 {AXIS}V{AXIS - 144}"/>' in chart.bars
    assert (
        f'<path class="failed" d="M{earlier}.5 {AXIS}V{AXIS - 72}M{last}.5 {AXIS - 144}V{TOP}"/>'
        in chart.bars
    )
    assert "<title>24 Nov 14:05 UTC: 8 sent, 2 failed</title>" in chart.bars
    assert "<title>24 Nov 14:04 UTC: 0 sent, 4 failed</title>" in chart.bars
    assert (chart.sent, chart.failed) == (8, 6)
    assert [tick.label for tick in chart.y_ticks] == ["0", "5", "10"]


def test_chart__minutes_older_than_the_day_or_later_than_now__left_out() -> None:
    chart = minute_chart(
        [
            MinuteResults(MINUTE - 24 * 60, sent=5, failed=0),
            MinuteResults(MINUTE - 1439, sent=3, failed=0),
            MinuteResults(MINUTE + 1, sent=7, failed=0),
        ],
        [],
        NOW,
    )

    assert chart.start == NOW.replace(second=0) - timedelta(minutes=1439)
    assert chart.bars.count("<title>") == 1
    assert f'd="M{LEFT}.5 {AXIS}V' in chart.bars
    assert [tick.label for tick in chart.y_ticks] == ["0", "2", "4"]


def test_chart__no_results__no_bars__an_axis_from_0_to_2__hours_labelled_every_three() -> None:
    chart = minute_chart([], [], NOW)

    assert chart.bars == ""
    assert (chart.sent, chart.failed) == (0, 0)
    assert [tick.label for tick in chart.y_ticks] == ["0", "1", "2"]
    assert [tick.label for tick in chart.x_ticks] == [
        "15:00",
        "18:00",
        "21:00",
        "00:00",
        "03:00",
        "06:00",
        "09:00",
        "12:00",
    ]
    assert chart.x_ticks[0].position == LEFT + (15 * 60 - (14 * 60 + 6))


@pytest.mark.parametrize(
    ("peak", "top"),
    [(0, 2), (1, 2), (3, 4), (5, 10), (10, 10), (11, 20), (33, 40), (999, 1000), (1001, 2000)],
)
def test_nice_ceiling__the_least_round_number_at_least_the_peak(peak: int, top: int) -> None:
    assert nice_ceiling(peak) == top


@pytest.mark.parametrize(
    ("elapsed", "shown"),
    [
        (timedelta(seconds=-3), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=59), "12 min"),
        (timedelta(hours=3, minutes=5), "3 h 5 min"),
        (timedelta(days=2, hours=4, minutes=30), "2 d 4 h"),
    ],
)
def test_age__as_an_operator_reads_it(elapsed: timedelta, shown: str) -> None:
    assert age(elapsed) == shown
