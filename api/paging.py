"""Paginated lists: `page`, `per_page` (at most 200), `total` (`total_capped`: at least that many),
and an RFC 8288 Link header (no "last" when the total is capped)."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from engine import Page


def paged(page: Page) -> tuple[dict, int, dict]:
    last = max(1, -(-page.total // page.per_page))
    links = []
    for rel, number in (("first", 1), ("prev", page.page - 1), ("next", page.page + 1), ("last", last)):
        if page.capped and rel == "last":  # not known: counting stopped
            continue
        if 1 <= number <= last and (rel in ("first", "last") or number != page.page):
            query = {**request.args.to_dict(), "page": number, "per_page": page.per_page}
            links.append(f'<{request.base_url}?{urlencode(query)}>; rel="{rel}"')
    body = {"items": page.items, "total": page.total, "total_capped": page.capped, "page": page.page,
            "per_page": page.per_page}
    return body, 200, {"Link": ", ".join(links)} if links else {}
