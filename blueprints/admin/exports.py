"""CSV exports for the office: attendance per month, families and children, requests.
UTF-8 with a byte-order mark and semicolons, so LibreOffice and Excel open them with
their French accents and columns right."""
import calendar as month_calendar
import csv
import io
from collections import Counter
from datetime import date

from flask import Response, abort, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from blueprints.admin.blueprint import bp
from blueprints.common.pages import render_page
from extensions import db
from models import Activity, Attendance, Booking, Child, Family, Request, RequestLine
from models.attendance import EXPECTED_STATES, PRESENT
from models.clock import paris_today as today


def csv_response(rows, filename):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
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
        rows.append([first.strftime("%Y-%m"), child.family.name, child.full_name,
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
                         child.birth_date.isoformat() if child and child.birth_date else "",
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
    rows = [[_("Envoyée le (UTC)"), _("Famille"), _("Enfant"), _("Activité"), _("Jour"),
             _("Demande"), _("Résultat"), _("Motif du refus"), _("Par un agent")]]
    for line in lines:
        rows.append([line.request.submitted_at.isoformat(timespec="minutes"),
                     line.request.family.name, line.child.full_name, line.activity.name,
                     line.day.isoformat(), line.action, line.outcome or "", line.reason or "",
                     line.request.staff_reason or ""])
    return csv_response(rows, f"demandes-{first:%Y-%m}.csv")

