"""How the compact planning lays out a day: its cells grouped by activity, each group
saying its deadline once (as time left when it is near, or that it has passed); the
weekend left out of a week with nothing on it. Computed once per page, so the cell
macro formats nothing itself."""
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import groupby

from flask_babel import gettext as _
from flask_babel import ngettext

from blueprints.common.dates import moment_in_words, short_moment
from models.planning import RESERVE

# Under a day left, a group says how long is left rather than the date.
NEAR = timedelta(hours=24)


@dataclass
class Group:
    activity: object
    cells: list = field(default_factory=list)
    deadline: str | None = None  # what the group says of its deadline, once


def _time_left(left):
    hours = int(left.total_seconds() // 3600)
    if hours >= 1:
        return ngettext("plus que %(num)d h pour modifier",
                        "plus que %(num)d h pour modifier", hours)
    minutes = max(1, int(left.total_seconds() // 60))
    return ngettext("plus que %(num)d min pour modifier",
                    "plus que %(num)d min pour modifier", minutes)


def deadline_words(cells):
    """The deadline the cells of a group share, in words."""
    cell = cells[0]
    if cell.locked:
        if not cell.upcoming:
            return None
        return _("Non modifiable : la date limite était le %(deadline)s",
                 deadline=moment_in_words(cell.deadline))
    if cell.past_deadline:  # a late tap is still taken: each cell says what it gets
        return _("Date limite dépassée le %(deadline)s", deadline=moment_in_words(cell.deadline))
    left = cell.deadline - cell.now
    if left < NEAR:
        return _time_left(left)
    return _("Modifiable jusqu'au %(deadline)s", deadline=short_moment(cell.deadline))


def day_groups(day_plan):
    groups = []
    # One group per activity and deadline: a reserved cell may follow the activity's
    # cancelling rule and a free one its reserving rule, each then says its own.
    key = lambda c: (c.activity_id, c.locked, c.deadline)  # noqa: E731
    for _key, cells in groupby(day_plan.cells, key=key):
        cells = list(cells)
        groups.append(Group(cells[0].activity, cells, deadline_words(cells)))
    return groups


def _is_bare(day_plan):
    return not day_plan.cells and not day_plan.note and not day_plan.closures


def shown_days(plan, view):
    """The days a view lays out: a week leaves out a Saturday or Sunday with nothing on
    it (a line under the grid says so), every other view shows every day."""
    if view not in ("semaine", "semaine5"):
        return plan, []
    shown = [d for d in plan if not (d.day.weekday() >= 5 and _is_bare(d))]
    return shown, [d for d in plan if d not in shown]


def week_offers(plan, view):
    """« Toute la semaine »: each child and activity with at least two days of the week
    shown that one tap could reserve, [(first cell, days)], in the page's order (the
    cell says the child and the activity)."""
    if view not in ("semaine", "semaine5"):
        return []
    free = {}
    for day_plan in plan:
        for cell in day_plan.cells:
            if cell.action == RESERVE and not cell.locked and cell.upcoming:
                free.setdefault((cell.child_id, cell.activity_id), (cell, []))[1].append(cell.day)
    return [(cell, days) for cell, days in free.values() if len(days) >= 2]


def layout(plan, view):
    """Everything the page template needs beyond the plan, in one call."""
    days, left_out = shown_days(plan, view)
    return {"days": days, "left_out": left_out, "week_offers": week_offers(plan, view),
            "groups": {d.day: day_groups(d) for d in days} if view != "mois" else {}}
