"""Printable lists (A4 PDF, the town's header): the roll-call sheet of a day and activity
per school and class with tick boxes, the adults who may pick each child up, and the PAI
and allergies per site for the kitchen. Lists that show health data are audited as a
read of health data (one entry per list) and never kept in a cache."""
import functools
from datetime import date

from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin.blueprint import bp
from blueprints.common.family_display import DIET_LABELS
from blueprints.common.pages import current_town, render_alert, render_page
from blueprints.common.pdf import pdf_download
from extensions import db
from models import Activity
from models.audit import record_health_view
from models.broadcasts import CLASS_SEPARATOR, schools_and_classes
from models.clock import paris_today as today
from models.printed_lists import kitchen_list, roll_call_groups
from security import no_store


class BadListRequest(Exception):
    pass


def _day():
    value = request.args.get("jour", "")
    if not value:
        return today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadListRequest(_("Saisissez une date valide.")) from None


def _activity():
    activity_id = request.args.get("activite", "")
    if not activity_id:
        raise BadListRequest(_("Choisissez une activité."))
    if not activity_id.isdigit():
        abort(404)
    return db.session.get(Activity, int(activity_id)) or abort(404)


def _school_and_class():
    school = request.args.get("ecole", "")
    school_of_class, _sep, class_name = request.args.get("classe", "").partition(
        CLASS_SEPARATOR)
    if class_name:
        school = school_of_class
    return school, class_name


def _bad_request(view):
    """A list asked with a wrong day or no activity: said in French, 400."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except BadListRequest as error:
            return render_alert(str(error))

    return wrapped


@bp.get("/listes")
def printed_lists():
    schools, classes = schools_and_classes()
    return render_page("admin/lists/index.html", day=today(), activities=Activity.ordered(),
                       schools=schools, classes=classes, separator=CLASS_SEPARATOR)


@bp.get("/listes/appel.pdf")
@no_store
@_bad_request
def roll_call_sheet():
    day, activity = _day(), _activity()
    school, class_name = _school_and_class()
    groups = roll_call_groups(activity, day, school, class_name)
    record_health_view(current_user, [row.child for _key, rows in groups for row in rows],
                       where="roll_call_sheet")
    return pdf_download("admin/lists/roll_call_pdf.html", "lists-pdf.css",
                        f"appel-{day.isoformat()}-{activity.id}.pdf", town=current_town(),
                        day=day, activity=activity, groups=groups, diet_labels=DIET_LABELS)


@bp.get("/listes/adultes.pdf")
@no_store
@_bad_request
def pick_up_sheet():
    day, activity = _day(), _activity()
    school, class_name = _school_and_class()
    groups = roll_call_groups(activity, day, school, class_name)
    return pdf_download("admin/lists/pick_up_pdf.html", "lists-pdf.css",
                        f"adultes-autorises-{day.isoformat()}-{activity.id}.pdf",
                        town=current_town(), day=day, activity=activity, groups=groups)


@bp.get("/listes/cuisine.pdf")
@no_store
@_bad_request
def kitchen_sheet():
    day = _day()
    sites = kitchen_list(day, current_town().holiday_zone)
    record_health_view(current_user, [c for site in sites for c, _record in site.children],
                       where="kitchen_list")
    return pdf_download("admin/lists/kitchen_pdf.html", "lists-pdf.css",
                        f"pai-allergies-{day.isoformat()}.pdf", town=current_town(), day=day,
                        sites=sites, diet_labels=DIET_LABELS)
