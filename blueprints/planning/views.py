"""Activités: the family's planning, taps on its cells, and Mes demandes (section 3 of
the user's guide)."""
import calendar as month_calendar
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints.common.arrival import arrived_at
from blueprints.common.pager import page_of
from blueprints.common.pages import current_town, own_or_404, render_alert, render_page
from blueprints.common.words import planning_words
from blueprints.planning.blueprint import bp
from blueprints.planning.compact import layout
from blueprints.planning.forms import MAX_ID, CellForm, UndoForm, WeekForm
from extensions import db
from jobs.requests import after_undo, enqueue_request
from models import Activity, Child, Request
from models.calendar import calendar_window, first_school_day, is_requestable
from models.clock import paris_today, utcnow
from models.db_tools import end_reads, takes_write_lock_itself
from models.grid import cell_after_tap, family_planning, single_cell, week_cells
from models.period import PeriodAsk, save_period_request
from models.planning import RESERVE
from models.requests import ask_for_cell
from models.undo import minutes_left, undo_request, undo_until
from security import is_htmx, safe_next

VIEWS = {
    "mois": _l("Mois"), "semaine": _l("Semaine"), "semaine5": _l("Semaine 5j"),
    "jour": _l("Jour"), "liste": _l("Liste"),
}
DEFAULT_VIEW = "semaine"
WEEK_VIEWS = ("semaine", "semaine5")
REQUESTS_PER_PAGE = 20


@dataclass
class Period:
    view: str
    first: date
    last: date
    focus: date  # the day the person is looking at: switching views keeps it
    previous: date  # where ‹ and › land
    next: date

    @property
    def title(self):
        if self.view == "jour":
            return format_date(self.first, "EEEE d MMMM y")
        if self.view in ("mois", "liste"):
            return format_date(self.first, "LLLL y")
        same_month = self.first.month == self.last.month
        start = format_date(self.first, "d" if same_month else "d MMM")
        return f"{start} — {format_date(self.last, 'd MMM y')}"

    @property
    def leading_blanks(self):
        """Empty boxes before the first day in the month grid (weeks start on Monday)."""
        return self.first.weekday() if self.view == "mois" else 0


def _bounds(view, day):
    """The first and last days a view shows around day."""
    if view == "jour":
        return day, day
    if view in WEEK_VIEWS:
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=4 if view == "semaine5" else 6)
    first = day.replace(day=1)
    return first, first.replace(day=month_calendar.monthrange(first.year, first.month)[1])


def _landing(view, day, zone):
    """Where ‹ or › lands: the day itself in the day view, else the first school day of
    the period around day. Landing on the 1st of January instead would make the switch
    to a week show the last days of December."""
    return day if view == "jour" else first_school_day(*_bounds(view, day), zone)


def period_for(view, day, zone):
    first, last = _bounds(view, day)
    after = first + timedelta(weeks=1) if view in WEEK_VIEWS else last + timedelta(days=1)
    return Period(view, first, last, focus=day,
                  previous=_landing(view, first - timedelta(days=1), zone),
                  next=_landing(view, after, zone))


DAY_ARGUMENTS = ("date", "jour")


@bp.before_request
def refuse_days_off_calendar():
    """A day years away (0001-01-01, 9999-12-31) is refused on every planning route,
    before date arithmetic overflows; a day that is not a date is left to the view."""
    first, last = calendar_window(paris_today())
    for name in DAY_ARGUMENTS:
        try:
            day = date.fromisoformat(request.values.get(name) or "")
        except ValueError:
            continue
        if not first <= day <= last:
            return render_alert(_("Date hors du calendrier : le planning couvre les jours "
                                  "du %(first)s au %(last)s.",
                                  first=format_date(first, "long"),
                                  last=format_date(last, "long")), status=400)
    return None


def _family():
    return current_user.family


def _invalid_planning_form():
    return render_alert(_("Cette demande n'est pas valide. Rechargez le planning puis "
                          "recommencez."), status=400)


def _child_and_activity(form):
    """The family's child and the active activity a planning form names, or a 404."""
    return own_or_404(Child, form.enfant.data), _activity_or_404(form.activite.data)


def _activity_or_404(activity_id):
    activity = Activity.find(activity_id) if activity_id else None
    if activity is None or not activity.active:
        abort(404)
    return activity


@bp.get("/activites")
def index():
    view = request.args.get("vue", DEFAULT_VIEW)
    if view not in VIEWS:
        view = DEFAULT_VIEW
    day = paris_today()
    bad_date = False
    if request.args.get("date"):
        try:
            day = date.fromisoformat(request.args["date"])
        except ValueError:
            bad_date = True
    return _planning_page(view, day, bad_date)


def _planning_page(view, day, bad_date=False, said=None):
    zone = current_town().holiday_zone
    period = period_for(view, day, zone)
    family = _family()
    plan = family_planning(family.loaded_children(), period.first, period.last, zone)
    today = paris_today()
    any_locked = any(cell.locked and cell.day >= today for d in plan for cell in d.cells)
    end_reads()  # everything the page shows is loaded: no transaction open while it renders
    return render_page("planning/index.html", block="planning", family=family, plan=plan,
                       period=period, views=VIEWS, today=today, bad_date=bad_date,
                       any_locked=any_locked, next_week=next_week(period.view, zone),
                       said=said, cell_urls=cell_urls(), **layout(plan, period.view))


def cell_urls():
    """The addresses a cell's forms, poll and link go to, built once per page or answer
    (url_for costs about what drawing a cell does); a cell adds its query string."""
    return SimpleNamespace(tap=url_for("planning.tap"), cell=url_for("planning.cell"),
                           undo=url_for("planning.undo"), illness=url_for("planning.illness"))


@bp.post("/activites/semaine")
@takes_write_lock_itself
def whole_week():
    """« Toute la semaine »: every free day of the week shown, for one child and one
    activity, in one request (the long-period rules: days already reserved, closed or
    past their deadline are left out). The week is shown again, its cells pending."""
    form = WeekForm()
    if not form.validate_on_submit():
        return _invalid_planning_form()
    child, activity = _child_and_activity(form)
    monday = form.semaine.data - timedelta(days=form.semaine.data.weekday())
    first = max(monday, paris_today())
    ask = PeriodAsk(action=RESERVE, children=[child], activities=[activity], first_day=first,
                    last_day=monday + timedelta(days=6), weekdays=set(range(1, 8)))
    # A token of its own (no token would find any request saved without one); a second
    # tap finds the days pending and saves nothing.
    saved, _created = save_period_request(_family(), current_user, ask,
                                          current_town().holiday_zone,
                                          client_token=uuid.uuid4().hex)
    if saved is None or not saved.lines:
        db.session.rollback()
        said = _("Rien à réserver cette semaine pour %(child)s : chaque jour est déjà réservé, "
                 "en cours ou fermé.", child=child.first_name)
    else:
        enqueue_request(saved)
        db.session.commit()
        said = ngettext("%(child)s, %(activity)s : %(num)d jour demandé cette semaine.",
                        "%(child)s, %(activity)s : %(num)d jours demandés cette semaine.",
                        len(saved.lines), child=child.first_name, activity=activity.name)
    if is_htmx():
        return _planning_page(request.form.get("vue", DEFAULT_VIEW)
                              if request.form.get("vue") in WEEK_VIEWS else DEFAULT_VIEW,
                              form.semaine.data, said=said)
    flash(said, "info")
    return redirect(url_for("planning.index", vue=DEFAULT_VIEW,
                            date=form.semaine.data.isoformat()))


def next_week(view, zone):
    """Where « Semaine prochaine » lands: the first school day of next week, in the
    week view being looked at (or the week view)."""
    monday = paris_today() - timedelta(days=paris_today().weekday()) + timedelta(weeks=1)
    return {"vue": view if view in WEEK_VIEWS else DEFAULT_VIEW,
            "date": _landing("semaine", monday, zone).isoformat()}


def _render_cell(cell, changed=False, others=(), said=None):
    """Only the cell: the tap answer and what a pending cell polls. `changed`: the tap
    found the cell changed since the page was shown, and the cell says so. `others`: the
    other days of its week (an activity booked by weeks), swapped in place too. `said`:
    what an undo did or why it did not."""
    return render_template("planning/_cell.html", cell=cell, changed=changed, others=others,
                           said=said, cell_urls=cell_urls())


def _id_arg(name):
    value = request.args.get(name, type=int)
    if value is None or not 1 <= value <= MAX_ID:
        abort(404)
    return value


@bp.get("/activites/case")
def cell():
    """A cell as it is now: a pending cell asks for this every few seconds."""
    try:
        day = date.fromisoformat(request.args.get("jour", ""))
    except ValueError:
        abort(404)
    if not is_requestable(day):
        abort(404)
    child = own_or_404(Child, _id_arg("enfant"))
    activity = _activity_or_404(_id_arg("activite"))
    return _render_cell(single_cell(child, activity, day, zone=current_town().holiday_zone),
                        changed=request.args.get("changee") == "1")


@bp.post("/activites/case")
@takes_write_lock_itself
def tap():
    """A tap on a cell: what its button said, reserve or declare an absence. The cell
    turns pending at once; a job decides, and the cell settles by itself. A cell that
    changed since the page was shown is answered as it now is, and nothing is asked.

    Everything is read before the write transaction (ask_for_cell takes the lock for
    its few statements only) and the answer is rendered after its commit, from what
    is loaded: no transaction is open while Python works. A tap taken is answered from
    what it wrote (models/grid.cell_after_tap), without reading the cell again."""
    form = CellForm()
    if not form.validate_on_submit():
        return _invalid_planning_form()
    child, activity = _child_and_activity(form)
    day = form.jour.data
    current_town()  # the page layout's town, read now rather than after the commit
    zone = current_town().holiday_zone
    booking, new_request = ask_for_cell(_family(), child, activity, day, current_user,
                                        form.action.data, form.etat.data, zone=zone,
                                        asked_at=arrived_at())
    if new_request is not None:
        enqueue_request(new_request)
    db.session.commit()
    changed = new_request is None
    if is_htmx():
        if activity.booked_by_week:
            tapped, *others = week_cells(child, activity, day, zone=zone)
            return _render_cell(tapped, changed=changed, others=others)
        if changed:  # the cell as it now is, whatever changed it
            return _render_cell(single_cell(child, activity, day, zone=zone), changed=True)
        return _render_cell(cell_after_tap(child, activity, booking, zone=zone))
    if changed:
        flash(_changed_note(booking.state), "info")
    else:
        flash(_("Votre demande a été envoyée : vous recevrez un accusé de réception puis la "
                "réponse par email."), "success")
    back = safe_next(_referrer_path()) or url_for("planning.index", vue=DEFAULT_VIEW,
                                                  date=day.isoformat())
    return redirect(back)


def _changed_note(state):
    """Said when a tap found the cell changed (the cell says the same, in _cell.html)."""
    return _("Cette case a changé entre-temps : %(state)s. Rien n'a été demandé.",
             state=planning_words()["states"][state])


def _referrer_path():
    referrer = request.referrer or ""
    if not referrer.startswith(request.host_url):
        return None
    return "/" + referrer[len(request.host_url):]


@bp.post("/activites/annuler")
@takes_write_lock_itself
def undo():
    """« Annuler ma demande » / « Revenir en arrière », from the cell or Mes demandes:
    the cell goes back to what it was before the tap (models/undo.py says until when).
    Another family's request is not found; a stale one is answered in words."""
    form = UndoForm()
    if not form.validate_on_submit():
        return render_alert(_("Cette demande n'est pas valide. Rechargez la page puis "
                              "recommencez."), status=400)
    zone = current_town().holiday_zone
    done = undo_request(form.demande.data, _family().id, current_user, zone)
    if done is None:
        db.session.rollback()
        abort(404)
    if done.done:
        after_undo(done)
        db.session.commit()
        said = _("Demande annulée : la case est revenue à « %(state)s ».",
                 state=planning_words()["states"][done.booking.state])
    else:
        db.session.rollback()
        said = planning_words()["undo"][done.refusal]
    lines = done.request.lines  # a long-period request may have none, or many
    if is_htmx() and request.form.get("depuis") != "demandes" and len(lines) == 1:
        line = lines[0]
        return _render_cell(single_cell(line.child, line.activity, line.day, zone=zone),
                            said=said)
    if is_htmx() and request.form.get("depuis") != "demandes":
        return render_alert(said, status=409)  # no cell to answer with: the alert area
    flash(said, "success" if done.done else "info")
    back = safe_next(_referrer_path()) or url_for("planning.requests")
    return redirect(back)


@bp.get("/mes-demandes")
def requests():
    shown = page_of(partial(Request.for_family, _family().id), REQUESTS_PER_PAGE)
    zone = current_town().holiday_zone
    now = utcnow()
    undoable = {}
    for req in shown.rows:
        until = undo_until(req, zone)
        if until is not None and now <= until and req.user_id == current_user.id:
            undoable[req.id] = minutes_left(until, now)
    return render_page("planning/requests.html", requests=shown.rows, undoable=undoable,
                       **shown.context)

