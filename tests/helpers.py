"""Helpers the tests share: reading emails, filling forms with their CSRF token."""
import html
import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from extensions import db
from models import Activity, Booking, Child, Enrollment, Family, Town, User
from models.calendar import school_year_of
from models.clock import paris_today, utcnow
from models.planning import ACTION_FOR_STATE, PlanningCalendar


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def link_in(message, path_part):
    for url in re.findall(r"https?://\S+", text_of(message)):
        if path_part in url:
            parts = urlsplit(url)
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link with {path_part!r} in:\n{text_of(message)}")


CSRF_RE = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html):
    found = CSRF_RE.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def body(response):
    """The page as a person reads it: entities such as &#39; decoded."""
    return html.unescape(response.get_data(as_text=True))


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return body(response)


def submit(client, form_url, data, post_url=None, **kwargs):
    """Fill the form found at form_url (with its CSRF token) and post it."""
    data = dict(data, csrf_token=csrf_from(page(client, form_url)))
    return client.post(post_url or form_url, data=data, **kwargs)


def login(client, email, password, remember=False):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return submit(client, "/connexion", data)


def activity(name):
    return db.session.scalar(select(Activity).where(Activity.name == name))


def child(first_name):
    return db.session.scalar(select(Child).where(Child.first_name == first_name))


def today():
    """Today in Paris (PORTAIL_TEST_TODAY moves it for the whole suite)."""
    return paris_today()


def _enrolled_somebody(an_activity, day, a_child=None):
    query = select(Enrollment.id).where(Enrollment.activity_id == an_activity.id,
                                        Enrollment.school_year == school_year_of(day))
    if a_child is not None:
        query = query.where(Enrollment.child_id == a_child.id)
    return db.session.scalar(query.limit(1)) is not None


def upcoming_day(an_activity, days_ahead=10, a_child=None):
    """The first day at least `days_ahead` from today on which the activity runs (no
    holiday, no closure, one of its weekdays) and the child, or else some child, is
    enrolled: asked of the calendar, so it holds on any day of the year."""
    start = today() + timedelta(days=days_ahead)
    calendar = PlanningCalendar(Town.current().holiday_zone, start, start + timedelta(days=400))
    day = start
    while not (calendar.runs(an_activity, day) and _enrolled_somebody(an_activity, day, a_child)):
        day += timedelta(days=1)
        assert day < start + timedelta(days=400), f"{an_activity.name} never runs"
    return day


def school_weeks_ahead(an_activity, weeks_ahead, weeks=1):
    """The Monday, at least `weeks_ahead` weeks from today, of `weeks` school weeks in a
    row in which the activity runs on each of its weekdays and children are enrolled."""
    monday = today() - timedelta(days=today().weekday()) + timedelta(weeks=weeks_ahead)
    calendar = PlanningCalendar(Town.current().holiday_zone, monday,
                                monday + timedelta(days=400))

    def full(first):
        days = [first + timedelta(days=n) for n in range(7 * weeks)]
        wanted = [d for d in days if d.isoweekday() in an_activity.weekday_numbers]
        return all(calendar.runs(an_activity, d) and _enrolled_somebody(an_activity, d)
                   for d in wanted)

    while not full(monday):
        monday += timedelta(weeks=1)
        assert monday < today() + timedelta(days=400), f"{an_activity.name} never runs"
    return monday


def make_late(an_activity, day):
    """Move the activity's deadline so that `day` is already past it (the page was
    loaded, then the deadline passed)."""
    an_activity.deadline_days = (day - today()).days + 1
    an_activity.deadline_working_days = False


HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def add_closure(client, an_activity, first, last, reason, **kwargs):
    """The staff close an activity from `first` to `last`, through the closures page
    (client is logged in as staff)."""
    form = page(client, "/admin/fermetures")
    return client.post("/admin/fermetures", data={
        "csrf_token": csrf_from(form), "activity_id": an_activity.id,
        "first_day": first.isoformat(), "last_day": last.isoformat(), "reason": reason},
        **kwargs)


def booking_state(who, what, day):
    return db.session.scalar(select(Booking.state).where(
        Booking.child_id == child(who).id, Booking.activity_id == activity(what).id,
        Booking.day == day))


def shown(state="none"):
    """What a cell's button sends besides the cell: its action and the state shown."""
    return {"action": ACTION_FOR_STATE[state], "etat": state}


def tap(client, who, what, day, headers=HTMX, state=None):
    """Press the cell's button as the page shows it now (or as it showed `state`)."""
    token = csrf_from(page(client, "/activites"))
    state = state or booking_state(who, what, day) or "none"
    return client.post("/activites/case", headers=dict(headers, **{"X-CSRFToken": token}),
                       data=dict(shown(state), enfant=child(who).id,
                                 activite=activity(what).id, jour=day.isoformat()))


OTHER_PARENT = ("sophie.bernard@example.net", "une autre phrase assez longue")


def other_family_parent(client):
    """Log client in as Sophie BERNARD, a parent of the demo's other family."""
    family = db.session.scalar(select(Family).where(Family.name == "BERNARD"))
    user = User(email=OTHER_PARENT[0], civility="Mme", first_name="Sophie", last_name="Bernard",
                guardian=family.guardians[0], confirmed_at=utcnow())
    user.set_password(OTHER_PARENT[1])
    db.session.add(user)
    db.session.commit()
    assert login(client, *OTHER_PARENT).status_code == 302
    return client


def at_once(*calls):
    """Run the calls in threads released together (two guardians, two agents, two
    workers at the same moment); returns what each returned, in order. An exception in
    a call is returned in its place, for the test to assert on."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index):
        barrier.wait()
        try:
            results[index] = calls[index]()
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.rollback()  # the test's own session sees what the threads committed
    return results


def latest_day(an_activity):
    """The last day, up to today, on which the activity ran (a roll call is marked on the
    day or later, never ahead): asked of the calendar."""
    end = today()
    calendar = PlanningCalendar(Town.current().holiday_zone, end - timedelta(days=400), end)
    day = end
    while not calendar.runs(an_activity, day):
        day -= timedelta(days=1)
        assert day > end - timedelta(days=400), f"{an_activity.name} never ran"
    return day
