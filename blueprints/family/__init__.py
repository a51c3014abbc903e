"""Ma famille: parents keep their family file up to date (section 4 of the guide).

Every change a parent saves waits for staff (see models/changes.py). The file's pages
themselves are shared with the staff area (file_views.py); this module adds what only
parents do: the overview, withdrawing a change, dismissing decisions, and downloading
the whole file (right of access).
"""
import json

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints.common.counters import home_counter
from blueprints.common.family_file import FileArea, back_url
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import own_or_404, render_page
from blueprints.family.blueprint import bp
from blueprints.family.export import export_family, export_filename, export_zip
from extensions import db
from models import AuditEvent, ChangeRequest
from models.changes import PENDING

AREA = FileArea(staff=False)
AREA.register(bp)


@home_counter("family.index", _l("Modifications du dossier traitées"), position=20)
def decided_changes(family_id, since):
    return ChangeRequest.decided_since(family_id, since)


@bp.get("/")
def index():
    family = AREA.family_or_404()
    return render_page("family/index.html", area=AREA, family=family,
                       pending=AREA.pending(family.id),
                       decisions=ChangeRequest.recent_decisions(family.id),
                       confirm_form=ConfirmForm())


@bp.post("/modifications/<int:change_id>/retirer")
def withdraw(change_id):
    change = own_or_404(ChangeRequest, change_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if change.status == PENDING:
        change.withdraw(current_user)
        db.session.commit()
        flash(_("Demande retirée : la valeur validée reste en place."), "success")
    else:
        flash(_("Cette modification a déjà été traitée par le service enfance."), "info")
    return redirect(back_url(url_for("family.index")))


@bp.post("/decisions/masquer")
def acknowledge():
    if ConfirmForm().validate_on_submit():
        ChangeRequest.acknowledge_decisions(current_user.family.id)
        db.session.commit()
    return redirect(back_url(url_for("family.index")))


@bp.get("/mes-donnees.json")
def export_json():
    family = AREA.family_or_404()
    data = export_family(family)
    AuditEvent.record_shown(current_user, "file.exported", [(family, family.id)], format="json")
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return body, 200, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{export_filename(family, "json")}"',
    }


@bp.get("/mes-donnees.zip")
def export_archive():
    family = AREA.family_or_404()
    data = export_zip(family)
    AuditEvent.record_shown(current_user, "file.exported", [(family, family.id)], format="zip")
    return data, 200, {
        "Content-Type": "application/zip",
        "Content-Disposition": f'attachment; filename="{export_filename(family, "zip")}"',
    }


@bp.get("/mes-donnees")
def export_page():
    family = AREA.family_or_404()
    data = export_family(family, with_photos=False)
    AuditEvent.record_shown(current_user, "file.exported", [(family, family.id)], format="html")
    return render_page("family/export.html", area=AREA, family=family, data=data)


# The modules below register their routes on bp.
from blueprints.family import reenrollment  # noqa: E402,F401
