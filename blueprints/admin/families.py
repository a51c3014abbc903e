"""Family files in the staff area: list, create, add guardians and children, and the
subscriber code letter."""
from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from blueprints.admin.blueprint import bp
from blueprints.admin.file import AREA
from blueprints.admin.forms import ChildForm, FamilyForm, GuardianForm
from blueprints.common.forms import ConfirmForm
from blueprints.common.pages import form_status, render_page
from extensions import db
from jobs.emails import external_url
from models import AuditEvent, ChangeRequest, Child, Family, Guardian
from security import is_htmx, no_store

PAGE_SIZE = 50
LETTER_KEY = "code_letter"


def family_or_404(family_id):
    family = db.session.get(Family, family_id, options=[
        selectinload(Family.guardians).selectinload(Guardian.user),
        selectinload(Family.children)])
    if family is None:
        abort(404)
    return family


@bp.get("/familles")
def families():
    query = request.args.get("q", "").strip()[:200]
    rows = Family.search(query, limit=PAGE_SIZE)
    return render_page("admin/families/list.html", families=rows, query=query,
                       block="results" if is_htmx() else "content")


@bp.route("/familles/nouvelle", methods=["GET", "POST"])
def new_family():
    form = FamilyForm()
    namesakes = []
    if form.validate_on_submit():
        namesakes = Family.with_guardian_named(form.first_name.data, form.last_name.data)
        if not namesakes or form.confirm_duplicate.data:
            family = Family(name=form.name.data.strip().upper(),
                            address_line=(form.address_line.data or "").strip(),
                            postal_code=(form.postal_code.data or "").strip(),
                            city=(form.city.data or "").strip())
            family.guardians.append(_guardian_from(form))
            db.session.add(family)
            db.session.flush()
            AuditEvent.record(current_user, "family.created", family, family_id=family.id)
            return _issue_code(family)
    status = 200 if namesakes else form_status()
    return render_page("admin/families/new.html", form=form, namesakes=namesakes), status


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
    namesakes = []
    if form.validate_on_submit():
        namesakes = Child.namesakes(form.first_name.data, form.last_name.data,
                                    form.birth_date.data, other_than_family=family.id)
        if not namesakes or form.confirm_duplicate.data:
            child = Child(first_name=form.first_name.data.strip(),
                          last_name=form.last_name.data.strip(),
                          birth_date=form.birth_date.data, sex=form.sex.data,
                          school=(form.school.data or "").strip(),
                          class_name=(form.class_name.data or "").strip(),
                          planning_colour=family.next_planning_colour())
            family.children.append(child)
            db.session.flush()
            AuditEvent.record(current_user, "child.created", child, family_id=family.id)
            db.session.commit()
            flash(_("Enfant ajouté."), "success")
            return redirect(url_for("admin.family", family_id=family.id))
    status = 200 if namesakes else form_status()
    return render_page("admin/families/new_child.html", form=form, family=family,
                       namesakes=namesakes), status


@bp.post("/familles/<int:family_id>/code")
def issue_code(family_id):
    family = family_or_404(family_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    return _issue_code(family)


def _issue_code(family):
    """Give the family a new code and send the agent to its letter (post/redirect/get:
    reloading the letter must not create or issue anything again)."""
    code = family.issue_subscriber_code()
    AuditEvent.record(current_user, "subscriber_code.issued", family, family_id=family.id)
    db.session.commit()
    # The database keeps only a keyed hash: the letter page reads the code once from the
    # session (signed, HttpOnly), then forgets it.
    session[LETTER_KEY] = {"family_id": family.id, "code": code}
    return redirect(url_for("admin.code_letter", family_id=family.id))


@bp.get("/familles/<int:family_id>/courrier")
def code_letter(family_id):
    """The letter to hand over, readable once: a reload or a later visit says to issue a
    new code rather than showing one the database cannot give back."""
    family = family_or_404(family_id)
    letter = session.get(LETTER_KEY)
    if not letter or letter.get("family_id") != family.id:
        flash(_("Le code abonné n'est affiché qu'une fois, juste après son émission. Si le "
                "courrier n'a pas été imprimé, émettez un nouveau code."), "info")
        return redirect(url_for("admin.family", family_id=family.id))
    session.pop(LETTER_KEY)
    body = render_page("admin/families/letter.html", family=family, code=letter["code"],
                       portal_url=external_url("auth.register"))  # PUBLIC_URL, not Host
    return body, 200, {"Cache-Control": "no-store"}
