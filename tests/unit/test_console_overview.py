"""The overview's chart and figures as laid out for the page: one bar per minute that had results,
stacked and scaled to a round axis, minutes outside the day left out, hours labelled; ages as an
operator reads them; every status of a family listed, 0 where none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orderdesk.console.api.chart import LEFT, PLOT_HEIGHT, TOP, minute_chart, nice_ceiling
from orderdesk.console.api.overview import age
from orderdesk.console.models import StatusCount
from orderdesk.console.rules import status_counts
from orderdesk.notifications.models import Channel, MinuteResults

NOW = datetime(2026, 11, 24, 14, 5, 30, tzinfo=UTC)
MINUTE = NOW.replace(second=0)
AXIS = TOP + PLOT_HEIGHT


def test_chart__channels_of_a_minute_added_up__sent_from_the_axis__failed_stacked_above() -> None:
    chart = minute_chart(
        [
            MinuteResults(MINUTE, Channel.EMAIL, sent=6, failed=1),
            MinuteResults(MINUTE, Channel.SMS, sent=2, failed=1),
            MinuteResults(MINUTE - timedelta(minutes=1), Channel.EMAIL, sent=0, failed=4),
        ],
        NOW,
    )

    earlier, last = chart.bars
    assert last.x == LEFT + 1439  # the current minute is the last of the day
    assert last.title == "2026-11-24 14:05 UTC: 8 sent, 2 failed"
    # The peak is 10 (a round number already): 8 sent fill 8/10 of the plot, 2 failed the rest.
    assert (last.sent_y, last.sent_height) == (AXIS - PLOT_HEIGHT * 0.8, PLOT_HEIGHT * 0.8)
    assert (last.failed_y, last.failed_height) == (TOP, PLOT_HEIGHT * 0.2)
    assert earlier.x == LEFT + 1438
    assert earlier.sent_height == 0
    assert (chart.sent, chart.failed) == (8, 6)
    assert [(t.channel, t.sent, t.failed) for t in chart.totals] == [("email", 6, 5), ("sms", 2, 1)]
    assert [tick.label for tick in chart.y_ticks] == ["0", "5", "10"]


def test_chart__minutes_older_than_the_day_or_later_than_now__left_out() -> None:
    chart = minute_chart(
        [
            MinuteResults(MINUTE - timedelta(hours=24), Channel.EMAIL, sent=5, failed=0),
            MinuteResults(MINUTE - timedelta(minutes=1439), Channel.EMAIL, sent=3, failed=0),
            MinuteResults(MINUTE + timedelta(minutes=1), Channel.EMAIL, sent=7, failed=0),
        ],
        NOW,
    )

    [bar] = chart.bars
    assert bar.x == LEFT
    assert chart.start == MINUTE - timedelta(minutes=1439)
    assert chart.sent == 3


def test_chart__no_results__no_bars__an_axis_from_0_to_2__hours_labelled_every_three() -> None:
    chart = minute_chart([], NOW)

    assert chart.bars == []
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


def test_status_counts__every_known_status_in_order__then_unknown_ones() -> None:
    assert status_counts({"Completed": 3, "Legacy": 1}, ["Registered", "Completed"]) == [
        StatusCount("Registered", 0),
        StatusCount("Completed", 3),
        StatusCount("Legacy", 1),
    ]
