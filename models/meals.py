"""Meal counts for the kitchen: from the planning's reservations, per day and per site
(the child's school), split by diet."""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from extensions import db
from models.attendance import EXPECTED_STATES
from models.child_file import HealthRecord
from models.family import Child
from models.planning import Activity, Booking, PlanningCalendar

STANDARD = "standard"
PAI = "pai"
# Columns of the kitchen's sheet, in order; a child's diet comes from the family file.
DIET_COLUMNS = (STANDARD, "sans_porc", "vegetarien", "sans_gluten", "sans_lactose", PAI)
# A child with several diets counts once, in the column the kitchen must honour first:
# a PAI (the family brings the meal), then the strictest diet.
PRIORITY = (PAI, "sans_gluten", "sans_lactose", "vegetarien", "sans_porc")
SAME_COLUMN = {"sans_viande": "vegetarien"}


@dataclass
class MealRow:
    day: date
    site: str
    by_diet: Counter = field(default_factory=Counter)

    @property
    def total(self):
        return sum(self.by_diet.values())


def diet_column(record):
    diets = {SAME_COLUMN.get(diet, diet) for diet in record.diets or []}
    if record.pai:
        diets.add(PAI)
    return next((column for column in PRIORITY if column in diets), STANDARD)


def child_diets(child_ids):
    """{child id: diet column} for children whose meals are not standard."""
    records = db.session.scalars(select(HealthRecord).where(HealthRecord.child_id.in_(child_ids)))
    return {record.child_id: diet_column(record) for record in records}


def meal_counts(first_day, last_day, zone):
    """One row per day and site with meals: a child counts once a day, whatever the
    number of activities with a meal they are booked in."""
    activities = [a for a in Activity.ordered() if a.includes_meal]
    if not activities:
        return []
    calendar = PlanningCalendar(zone, first_day, last_day)
    by_id = {a.id: a for a in activities}
    rows = db.session.execute(
        select(Booking.child_id, Booking.activity_id, Booking.day, Child.school)
        .join(Child, Child.id == Booking.child_id)
        .where(Booking.activity_id.in_(by_id), Booking.day.between(first_day, last_day),
               Booking.state.in_(EXPECTED_STATES))).all()
    eaters = {}
    for child_id, activity_id, day, school in rows:
        if calendar.runs(by_id[activity_id], day):
            eaters[(day, school or "—", child_id)] = True
    diets = child_diets({child_id for _day, _site, child_id in eaters})
    table = {}
    for day, site, child_id in eaters:
        row = table.setdefault((day, site), MealRow(day, site))
        row.by_diet[diets.get(child_id, STANDARD)] += 1
    return [table[key] for key in sorted(table)]
