"""Pages of a long list (conversations, the audit log): the database returns one
page, never the whole list."""

from __future__ import annotations

from dataclasses import dataclass

LAST_PAGE = 10_000  # a page number beyond any real list, so OFFSET stays reasonable


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    has_next: bool
    total: int | None = None  # when counting is cheap

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(rows: list, number: int, size: int, total: int | None = None) -> Page:
    """A page from `size + 1` rows: the extra row only tells that a next page exists."""
    return Page(rows[:size], number, len(rows) > size, total)


def page_number(text: str | None) -> int:
    try:
        return min(max(int(text or 1), 1), LAST_PAGE)
    except ValueError:
        return 1
