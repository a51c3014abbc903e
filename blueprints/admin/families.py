"""Family files in the staff area: list, create, add guardians and children, and the
subscriber code letter."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from blueprints import form_status, render_page
from blueprints.admin import bp
from blueprints.admin.file import AREA
from blueprints.admin.forms import ChildForm, ConfirmForm, FamilyForm, GuardianForm
from extensions import db
from models import AuditEvent, ChangeRequest, Child, Family, Guardian
from security import no_store

PAGE_SIZE = 50


def family_or_404(family_id):
    family = db.session.get(Family, family_id, options=[
        selectinload(Family.guardians).selectinload(Guardian.user),
        selectinload(Family.children)])
    if family is None:
        abort(404)
    return family


@bp.get("/familles")
def families():
    query = request.args.get("q", "").strip()
    statement = select(Family).options(selectinload(Family.guardians),
                                       selectinload(Family.children)).order_by(Family.name)
    if query:
        pattern = f"%{query}%"
        statement = statement.where(or_(
            Family.name.ilike(pattern),
            Family.guardians.any(Guardian.last_name.ilike(pattern)),
            Family.children.any(Child.first_name.ilike(pattern)),
            Family.children.any(Child.last_name.ilike(pattern)),
        ))
    rows = db.session.scalars(statement.limit(PAGE_SIZE)).all()
    return render_page("admin/families/list.html", families=rows, query=query,
                       block="results" if request.headers.get("HX-Request") else "content")


@bp.route("/familles/nouvelle", methods=["GET", "POST"])
def new_family():
    form = FamilyForm()
    if form.validate_on_submit():
        family = Family(name=form.name.data.strip().upper(), address_line=form.address_line.data,
                        postal_code=form.postal_code.data, city=form.city.data)
        family.guardians.append(_guardian_from(form))
        db.session.add(family)
        db.session.flush()
        AuditEvent.record(current_user, "family.created", family, family_id=family.id)
        code = family.issue_subscriber_code()
        AuditEvent.record(current_user, "subscriber_code.issued", family, family_id=family.id)
        db.session.commit()
        return _code_letter(family, code)
    status = form_status()
    return render_page("admin/families/new.html", form=form), status


def _guardian_from(form):
    return Guardian(civility=form.civility.data, first_name=form.first_name.data.strip(),
                    last_name=form.last_name.data.strip(), email=(form.email.data or "").strip(),
                    mobile_phone=(form.mobile_phone.data or "").strip())


@bp.get("/familles/<int:family_id>")
@no_store
def family(family_id):
    family = family_or_404(family_id)
    return render_page("admin/families/show.html", family=family, code_form=ConfirmForm(),
                       area=AREA, pending=AREA.pending(family.id),
                       pending_count=ChangeRequest.pending_count(family.id))


@bp.route("/familles/<int:family_id>/responsables/nouveau", methods=["GET", "POST"])
def new_guardian(family_id):
    family = family_or_404(family_id)
    form = GuardianForm()
    if form.validate_on_submit():
        guardian = _guardian_from(form)
        family.guardians.append(guardian)
        db.session.flush()
        AuditEvent.record(current_user, "guardian.created", guardian, family_id=family.id)
        db.session.commit()
        flash(_("Responsable ajouté."), "success")
        return redirect(url_for("admin.family", family_id=family.id))
    status = form_status()
    return render_page("admin/families/new_guardian.html", form=form, family=family), status


@bp.route("/familles/<int:family_id>/enfants/nouveau", methods=["GET", "POST"])
def new_child(family_id):
    family = family_or_404(family_id)
    form = ChildForm(data={"last_name": family.name.title()} if request.method == "GET" else None)
    if form.validate_on_submit():
        child = Child(first_name=form.first_name.data.strip(),
                      last_name=form.last_name.data.strip(),
                      birth_date=form.birth_date.data, sex=form.sex.data,
                      school=form.school.data.strip(), class_name=form.class_name.data.strip(),
                      planning_colour=family.next_planning_colour())
        family.children.append(child)
        db.session.flush()
        AuditEvent.record(current_user, "child.created", child, family_id=family.id)
        db.session.commit()
        flash(_("Enfant ajouté."), "success")
        return redirect(url_for("admin.family", family_id=family.id))
    status = form_status()
    return render_page("admin/families/new_child.html", form=form, family=family), status


@bp.post("/familles/<int:family_id>/code")
def issue_code(family_id):
    family = family_or_404(family_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    code = family.issue_subscriber_code()
    AuditEvent.record(current_user, "subscriber_code.issued", family, family_id=family.id)
    db.session.commit()
    return _code_letter(family, code)


def _code_letter(family, code):
    """The letter to hand over. The code is readable only here, once: the database keeps
    a keyed hash of it, so the page must not be cached or replayed."""
    body = render_page("admin/families/letter.html", family=family, code=code,
                       portal_url=url_for("auth.register", _external=True))
    return body, 200, {"Cache-Control": "no-store"}

