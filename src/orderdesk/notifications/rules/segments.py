"""How many SMS parts a text is counted as, the way the original service counts them for billing."""

from __future__ import annotations

import math
from urllib.parse import quote

SINGLE_PART_LENGTH = 160
CONCATENATED_PART_LENGTH = 134
"""A concatenated part loses room to its user data header."""
MAX_SEGMENTS = 16


def sms_segments(body: str) -> int:
    """The parts of `body`: its length URL-encoded (UTF-8 percent-encoding, as the gateway is given
    it) decides; one part up to 160 characters, else one per 134, never more than 16 (what a gateway
    would send at most). A rough measure, kept as the original keeps it, not an exact GSM count."""
    length = len(quote(body, safe=""))
    if length <= SINGLE_PART_LENGTH:
        return 1
    return min(math.ceil(length / CONCATENATED_PART_LENGTH), MAX_SEGMENTS)
