"""The daytime window in which v1 SMS may go out (09-17 Oslo time unless configured otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class SendingWindow:
    start_hour: int = 9
    end_hour: int = 17
    time_zone: str = "Europe/Oslo"

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_open(self, now: datetime) -> bool:
        """Open strictly after the start hour and before the end hour, local time (end 24: midnight)."""
        local = now.astimezone(self._zone)
        seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        return self.start_hour * 3600 < seconds < self.end_hour * 3600

    def next_opening(self, now: datetime) -> datetime:
        """`now` while the window is open, else the next time it opens."""
        if self.is_open(now):
            return now
        local = now.astimezone(self._zone)
        opening = local.replace(hour=self.start_hour, minute=0, second=0, microsecond=0)
        if local.hour >= self.end_hour:
            opening = (opening + timedelta(days=1)).replace(hour=self.start_hour)
        return opening.astimezone(now.tzinfo)

    def expiry(self, now: datetime, time_to_live: timedelta) -> datetime:
        """A message that must wait for the window lives from the moment the window opens."""
        return self.next_opening(now) + time_to_live
