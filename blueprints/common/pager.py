"""Lists shown a page at a time: one row more than a page is read to know whether
another page follows (no COUNT over the whole table)."""
from dataclasses import dataclass

from flask import request


@dataclass
class Page:
    rows: list
    number: int
    has_more: bool

    @property
    def context(self):
        """What the list templates and their pager read."""
        return {"page": self.number, "has_more": self.has_more}


def page_of(fetch, size):
    """The page the request asks for (?page=N) of `fetch(limit, offset)`."""
    number = max(request.args.get("page", 1, type=int), 1)
    rows = fetch(limit=size + 1, offset=(number - 1) * size)
    return Page(list(rows[:size]), number, len(rows) > size)
