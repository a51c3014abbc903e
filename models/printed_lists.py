"""What the printed lists of the staff hold (paper still runs a canteen when a tablet is
flat): the roll-call sheet of an activity on a day by school and class, the adults who
may pick each child up (evening APS), and the PAI and allergies per site for the kitchen.
The roll call and the meal counts decide who is expected: the lists follow them."""
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import select

from extensions import db
from models.attendance import EXPECTED_STATES, child_loading_options, roll_call
from models.child_file import health_record_of
from models.family import Child
from models.planning import Activity, Booking, PlanningCalendar


def roll_call_groups(activity, day, school="", class_name=""):
    """[((school, class), rows)] of the roll call, one group per class (one page each);
    `school` and `class_name` narrow it to one school or one class."""
    rows = [row for row in roll_call(activity, day)
            if (not school or row.child.school == school)
            and (not class_name or row.child.class_name == class_name)]
    return [(key, list(group)) for key, group in groupby(
        rows, key=lambda r: (r.child.school or "—", r.child.class_name or "—"))]


def needs_care(record):
    """The kitchen must know about this child: a PAI, an allergy or a diet."""
    return bool(record.pai or (record.allergies or "").strip() or record.diets)


@dataclass
class KitchenSite:
    site: str
    eaters: int = 0
    children: list = field(default_factory=list)  # [(child, health record)]


def kitchen_list(day, zone):
    """Per site (the child's school, as in the meal counts), the children eating that day
    with a PAI, allergies or a diet; a child counts once whatever its activities."""
    activities = {a.id: a for a in Activity.ordered() if a.includes_meal}
    calendar = PlanningCalendar(zone, day, day)
    running = [a_id for a_id, a in activities.items() if calendar.runs(a, day)]
    if not running:
        return []
    child_ids = set(db.session.scalars(select(Booking.child_id).where(
        Booking.activity_id.in_(running), Booking.day == day,
        Booking.state.in_(EXPECTED_STATES))))
    children = db.session.scalars(select(Child).where(Child.id.in_(child_ids))
                                  .options(*child_loading_options())
                                  .order_by(Child.school, Child.last_name, Child.first_name))
    sites = {}
    for child in children:
        site = sites.setdefault(child.school or "—", KitchenSite(child.school or "—"))
        site.eaters += 1
        record = health_record_of(child)
        if needs_care(record):
            site.children.append((child, record))
    return [sites[name] for name in sorted(sites)]
