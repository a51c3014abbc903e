"""Occupancy of each activity per day against its capacity, for the staff dashboard."""
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from extensions import db
from models.attendance import EXPECTED_STATES
from models.calendar import days_between
from models.planning import Activity, Booking, PlanningCalendar


@dataclass
class DayLoad:
    day: object
    booked: int
    capacity: int | None

    @property
    def ratio(self):
        return self.booked / self.capacity if self.capacity else None


def occupancy(first_day, last_day, zone):
    """[(activity, [DayLoad for each day it runs])], from one grouped query."""
    activities = Activity.ordered()
    calendar = PlanningCalendar(zone, first_day, last_day)
    counts = Counter({(a, d): n for a, d, n in db.session.execute(
        select(Booking.activity_id, Booking.day, func.count())
        .where(Booking.day.between(first_day, last_day), Booking.state.in_(EXPECTED_STATES))
        .group_by(Booking.activity_id, Booking.day))})
    return [(activity, [DayLoad(day, counts[(activity.id, day)], activity.capacity)
                        for day in days_between(first_day, last_day)
                        if calendar.runs(activity, day)])
            for activity in activities]
