"""Following a listing's pages: one loop for every token-paged answer of the REST API.

The routes name their token differently (``cursor``/``nextCursor`` on GET listings,
``pageToken``/``nextPageToken`` on run search), so the caller's ``fetch`` speaks the route and
the pager only counts: it asks for no more than is left of ``limit``, stops at the limit or
when the server gives no next token, and remembers the token it stopped at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

# ``fetch(token, size)``: one page of at most ``size`` records after ``token`` (None: the first
# page), and the token of the next page (None or "": there is none).
Fetch = Callable[[str | None, int], tuple[list[dict[str, Any]], str | None]]

MAX_PAGE = 1000  # the server's largest page, on every paged route


class Paged:
    """The records of a paged listing, at most ``limit`` (None: all), fetched a page at a time
    as they are read. After iterating, ``token`` is where the listing stopped: None when the
    server had nothing more, else the token of the page after the last one read."""

    def __init__(self, fetch: Fetch, limit: int | None, *, page_size: int = MAX_PAGE) -> None:
        self._fetch = fetch
        self._limit = limit
        self._page_size = page_size
        self.token: str | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        left = self._limit
        token: str | None = None
        while left is None or left > 0:
            records, token = self._fetch(token, min(left, MAX_PAGE) if left is not None else self._page_size)
            self.token = token or None
            yield from records
            if left is not None:
                left -= len(records)
            if not token:
                return


def paged(fetch: Fetch, limit: int | None, *, page_size: int = MAX_PAGE) -> Iterator[dict[str, Any]]:
    """The records of a paged listing, at most ``limit`` (see :class:`Paged`)."""
    return iter(Paged(fetch, limit, page_size=page_size))


__all__ = ["MAX_PAGE", "Fetch", "Paged", "paged"]
