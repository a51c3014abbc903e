"""CSV exports for the office: attendance per month, families and children, requests.
UTF-8 with a byte-order mark and semicolons, so LibreOffice and Excel open them with
their French accents and columns right; cells written as a French reader expects them
(csv_cell), and never as a formula a spreadsheet would run."""
import calendar as month_calendar
import csv
import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from blueprints.admin.blueprint import bp
from blueprints.common.pages import render_page
from extensions import db
from models import Activity, Attendance, Booking, Child, Family, Request, RequestLine
from models.attendance import EXPECTED_STATES, PRESENT
from models.clock import paris_today as today
from models.clock import to_paris
from models.planning import (
    ABSENCE,
    CLOSED,
    NOT_ON_THAT_WEEKDAY,
    PUBLIC_HOLIDAY,
    RESERVE,
    SCHOOL_HOLIDAY,
)
from models.requests import ACCEPTED, FULL, LATE, NOT_ENROLLED, REFUSED

# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...)
# typed by a parent in their address, say): such a text gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FRENCH_NUMBER = re.compile(r"-?\d+(,\d+)?")  # a negative amount is no formula

# The exports say words, not the codes stored.
ACTION_WORDS = {RESERVE: _l("Réservation"), ABSENCE: _l("Absence")}
OUTCOME_WORDS = {ACCEPTED: _l("Acceptée"), REFUSED: _l("Refusée"), None: _l("En attente")}
REASON_WORDS = {
    LATE: _l("Hors délai"), NOT_ENROLLED: _l("Pas d'inscription"), FULL: _l("Complet"),
    PUBLIC_HOLIDAY: _l("Jour férié"), SCHOOL_HOLIDAY: _l("Vacances scolaires"),
    NOT_ON_THAT_WEEKDAY: _l("L'activité n'a pas lieu ce jour-là"),
    CLOSED: _l("Fermeture exceptionnelle"),
}


def csv_cell(value):
    """A value as a French reader writes it: 03/12/2026, Paris time 03/12/2026 08:05,
    1234,56, Oui/Non; a text that a spreadsheet would run as a formula is defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, datetime):  # naive UTC, as stored
        return to_paris(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (Decimal, float)):
        return str(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS) and not FRENCH_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_response(rows, filename):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([csv_cell(v) for v in row] for row in rows)
    return Response(("\ufeff" + buffer.getvalue()).encode("utf-8"),
                    mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def month_arg(value, default=None):
    """First and last day of the month 'YYYY-MM' (else of `default`, or of this month)."""
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = default or today().replace(day=1)
    return first, first.replace(day=month_calendar.monthrange(first.year, first.month)[1])


def _month_arg():
    return month_arg(request.args.get("mois", ""))


@bp.get("/exports")
def exports():
    return render_page("admin/exports.html", month=today().strftime("%Y-%m"))


@bp.get("/exports/presences.csv")
def export_attendance():
    first, last = _month_arg()
    reserved = Counter({(c, a): n for c, a, n in db.session.execute(
        select(Booking.child_id, Booking.activity_id, func.count())
        .where(Booking.day.between(first, last), Booking.state.in_(EXPECTED_STATES))
        .group_by(Booking.child_id, Booking.activity_id))})
    marks = Counter()
    for child_id, activity_id, status, reason, unreserved, count in db.session.execute(
            select(Attendance.child_id, Attendance.activity_id, Attendance.status,
                   Attendance.absence_reason, Attendance.unreserved, func.count())
            .where(Attendance.day.between(first, last))
            .group_by(Attendance.child_id, Attendance.activity_id, Attendance.status,
                      Attendance.absence_reason, Attendance.unreserved)):
        key = "unreserved" if unreserved else (status if status == PRESENT else reason)
        marks[(child_id, activity_id, key)] += count
    pairs = sorted(set(reserved) | {(c, a) for c, a, _k in marks})
    children = {c.id: c for c in db.session.scalars(
        select(Child).where(Child.id.in_({c for c, _a in pairs}))
        .options(selectinload(Child.family)))}
    activities = {a.id: a for a in Activity.ordered(only_active=False)}
    rows = [[_("Mois"), _("Famille"), _("Enfant"), _("Activité"), _("Jours réservés"),
             _("Présent"), _("Absent malade"), _("Absent excusé"), _("Absent non excusé"),
             _("Présent sans réservation")]]
    for child_id, activity_id in pairs:
        child = children[child_id]
        rows.append([first.strftime("%m/%Y"), child.family.name, child.full_name,
                     activities[activity_id].name, reserved[(child_id, activity_id)],
                     *[marks[(child_id, activity_id, key)] for key in (
                         PRESENT, "ill", "excused", "unexcused", "unreserved")]])
    return csv_response(rows, f"presences-{first:%Y-%m}.csv")


@bp.get("/exports/familles.csv")
def export_families():
    rows = [[_("Dossier"), _("Adresse"), _("Code postal"), _("Commune"), _("Responsables"),
             _("Enfant"), _("Date de naissance"), _("École"), _("Classe")]]
    families = db.session.scalars(select(Family).order_by(Family.name).options(
        selectinload(Family.guardians), selectinload(Family.children))).all()
    for family in families:
        guardians = ", ".join(g.full_name for g in family.guardians)
        for child in family.children or [None]:
            rows.append([family.name, family.address_line, family.postal_code, family.city,
                         guardians, child.full_name if child else "",
                         child.birth_date if child else None,
                         child.school if child else "", child.class_name if child else ""])
    return csv_response(rows, "familles.csv")


@bp.get("/exports/demandes.csv")
def export_requests():
    first, last = _month_arg()
    lines = db.session.scalars(
        select(RequestLine).join(Request).where(RequestLine.day.between(first, last))
        .order_by(Request.submitted_at, RequestLine.id)
        .options(selectinload(RequestLine.request).selectinload(Request.family),
                 selectinload(RequestLine.child), selectinload(RequestLine.activity))).all()
    if len(lines) > 200_000:
        abort(413)
    rows = [[_("Envoyée le"), _("Famille"), _("Enfant"), _("Activité"), _("Jour"),
             _("Demande"), _("Résultat"), _("Motif du refus"), _("Par un agent")]]
    for line in lines:
        rows.append([line.request.submitted_at, line.request.family.name, line.child.full_name,
                     line.activity.name, line.day, ACTION_WORDS.get(line.action, line.action),
                     OUTCOME_WORDS.get(line.outcome, line.outcome),
                     REASON_WORDS.get(line.reason, line.reason),
                     line.request.staff_reason or ""])
    return csv_response(rows, f"demandes-{first:%Y-%m}.csv")

