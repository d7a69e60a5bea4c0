"""A page of a list: its items, the total (or, `capped`, a lower bound of it) and where it is."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int
    capped: bool = False  # there are more than `total`: counting stopped there
