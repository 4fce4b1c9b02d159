"""The SDK's one pager (mlyard.sdk.paging) over a listing held in memory: what it asks, where it stops."""

from __future__ import annotations

from typing import Any

from mlyard.sdk.paging import MAX_PAGE, Paged, paged


class Listing:
    """A server's token-paged listing of ``n`` records; it answers at most ``server_page`` a page."""

    def __init__(self, n: int, server_page: int = MAX_PAGE, empty_token: str | None = None) -> None:
        self.records = [{"i": i} for i in range(n)]
        self.server_page = server_page
        self.empty_token = empty_token
        self.asked: list[tuple[str | None, int]] = []

    def fetch(self, token: str | None, size: int) -> tuple[list[dict[str, Any]], str | None]:
        self.asked.append((token, size))
        start = int(token) if token else 0
        end = min(start + min(size, self.server_page), len(self.records))
        return self.records[start:end], str(end) if end < len(self.records) else self.empty_token


def test_reads_every_page_when_unlimited() -> None:
    listing = Listing(450)
    got = list(paged(listing.fetch, None, page_size=200))
    assert [r["i"] for r in got] == list(range(450))
    assert listing.asked == [(None, 200), ("200", 200), ("400", 200)]


def test_asks_no_more_than_is_left_and_stops_at_the_limit() -> None:
    listing = Listing(5000, server_page=300)
    pages = Paged(listing.fetch, 1250)
    got = list(pages)
    assert len(got) == 1250 and got[-1] == {"i": 1249}
    # The server answers less than asked: the pager asks for the rest, never past the limit.
    assert listing.asked == [(None, 1000), ("300", 950), ("600", 650), ("900", 350), ("1200", 50)]
    assert pages.token == "1250"  # more records are there


def test_stops_without_a_token_empty_or_none() -> None:
    for empty in (None, ""):
        listing = Listing(30, empty_token=empty)
        pages = Paged(listing.fetch, 100)
        assert len(list(pages)) == 30 and pages.token is None
        assert listing.asked == [(None, 100)]


def test_fetches_lazily() -> None:
    listing = Listing(3000)
    first = next(paged(listing.fetch, None))
    assert first == {"i": 0} and listing.asked == [(None, MAX_PAGE)]


def test_a_limit_of_zero_fetches_nothing() -> None:
    listing = Listing(10)
    assert list(paged(listing.fetch, 0)) == [] and listing.asked == []
