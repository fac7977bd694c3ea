"""How a setting's text (an environment variable, a line of instance/config.py)
becomes its value: yes/no flags, board modes, trusted proxies, meeting frequencies."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    key: str
    env: str
    default: Any
    parse: Callable[[str], Any] = str
    help: str = ""


def flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# How much of a member leaderboard members see (``ranking.visibility``): everyone;
# the upper half only; their own rank with N above and below; their own rank only.
BOARD_MODES = ("full", "upper_half", "neighbours", "own")


def board_mode(value: str) -> str:
    value = value.strip().lower()
    if value not in BOARD_MODES:
        raise ValueError(f"one of {', '.join(BOARD_MODES)}")
    return value


def trusted_proxies(value: int | str | list[str] | tuple[str, ...]) -> int | tuple[str, ...]:
    """TRACKER_TRUSTED_PROXIES: a number of proxy hops, or the proxies' addresses or networks.

    0 or empty trusts none. A wrong address stops the start, not a request.
    """
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = value.strip()
        if value.isascii() and value.isdigit():
            return int(value)
        value = value.split(",")
    found = tuple(part.strip() for part in value if part.strip())
    for part in found:
        ipaddress.ip_network(part, strict=False)
    return found


# 三会一课 and the other required meetings (``tracker.events.kinds``), in the
# order pages list them; "other" is any event that is none of them.
MEETING_KINDS = (
    "congress",  # 支部党员大会
    "committee",  # 支委会
    "group",  # 党小组会
    "lecture",  # 党课
    "theme_day",  # 主题党日
    "life_meeting",  # 组织生活会
    "appraisal",  # 民主评议党员
)
FREQUENCY_PERIODS = ("month", "quarter", "term", "year")
# The 支部工作条例's defaults; a school that wants two 党课 a term sets lecture=2/term.
DEFAULT_MEETING_FREQUENCIES = (
    "congress=1/quarter, committee=1/month, group=1/month, theme_day=1/month, "
    "lecture=1/quarter, life_meeting=1/year, appraisal=1/year"
)


def meeting_frequencies(value: str | dict) -> dict[str, tuple[int, str]]:
    """TRACKER_MEETING_FREQUENCIES: ``kind=count/period`` pairs separated by commas.

    Kinds left out keep their default; ``kind=0/year`` requires none. A wrong
    entry stops the start, not a request.
    """
    if isinstance(value, dict):
        return value
    rules: dict[str, tuple[int, str]] = {}
    for text in (DEFAULT_MEETING_FREQUENCIES, value):
        for part in filter(None, (p.strip() for p in text.split(","))):
            kind, _, rule = part.partition("=")
            count, _, period = rule.partition("/")
            kind, period, count = kind.strip(), period.strip(), count.strip()
            if kind not in MEETING_KINDS or period not in FREQUENCY_PERIODS:
                raise ValueError(f"TRACKER_MEETING_FREQUENCIES: cannot read {part!r}")
            if not (count.isascii() and count.isdigit()) or int(count) > 31:
                raise ValueError(f"TRACKER_MEETING_FREQUENCIES: cannot read {part!r}")
            rules[kind] = (int(count), period)
    return rules
