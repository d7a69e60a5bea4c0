"""Query-string arguments the pages share."""
from __future__ import annotations

from flask import request

MAX_PAGE = 10_000


def page_number() -> int:
    """?page=N, kept within 1..MAX_PAGE; anything else is page 1."""
    try:
        return max(1, min(int(request.args.get("page", 1)), MAX_PAGE))
    except ValueError:
        return 1


def page_count(page) -> int:
    """How many pages a list of `page.total` items has at `page.per_page` a page (at least one)."""
    return max(1, -(-page.total // page.per_page))
