"""The pages of a family file, shared by parents (Ma famille) and staff (admin area).

The same views are registered on both blueprints. What differs is which families a
person reaches (a parent: only their own, anything else is a 404), the layout, and
what saving means: models.changes.save_edit makes a parent's edit a pending change
and applies a staff edit at once.
"""
from functools import partial

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints.common.family_display import SECTION_TITLES, pending_index, section_fields
from blueprints.common.family_forms import PHOTO_ERRORS, ContactForm, PhotoForm, form_class
from blueprints.common.forms import ConfirmForm
from blueprints.common.limits import per_account
from blueprints.common.pages import form_status, render_page
from extensions import db, limiter
from models import AuditEvent, ChangeRequest, Child, Family, Guardian
from models.changes import SECTIONS, add_contact, delete_contact, read_value, save_edit
from models.photos import PhotoError, photo_path, store_photo
from security import no_store, safe_next

# Tabs of a child's screen: URL slug -> section.
TABS = {"informations": "general", "autorisations": "authorizations", "sante": "health",
        "contacts": "contacts", "photo": "photo"}
TAB_SLUGS = {section: slug for slug, section in TABS.items()}
EDITABLE_TABS = ("general", "authorizations", "health")
FAMILY_SECTIONS = {"adresse": "address", "banque": "bank"}


class FileArea:
    """The family file's views for parents (staff=False) or for staff (staff=True)."""

    def __init__(self, staff):
        self.staff = staff
        self.layout = "admin/base.html" if staff else "base.html"
        self.tabs = [(section, slug) for slug, section in TABS.items()]

    # -- addresses ---------------------------------------------------------------------

    def url(self, endpoint, **values):
        return url_for(f"{request.blueprint}.{endpoint}", **values)

    def family_url(self, family, anchor=None):
        if self.staff:
            return url_for("admin.family", family_id=family.id, _anchor=anchor)
        return url_for("family.index", _anchor=anchor)

    def family_part_url(self, family, section):
        slug = next(s for s, name in FAMILY_SECTIONS.items() if name == section)
        values = {"family_id": family.id} if self.staff else {}
        return self.url("edit_family_part", part=slug, **values)

    def child_url(self, child, section="general"):
        return self.url("child", child_id=child.id, tab=TAB_SLUGS[section])

    def edit_url(self, child, section):
        return self.url("edit_child", child_id=child.id, tab=TAB_SLUGS[section])

    # -- who reaches what --------------------------------------------------------------

    def _own(self, statement, family_column):
        """A parent reaches their own family's records only; the rest is a 404."""
        if self.staff:
            return statement
        return statement.where(family_column == current_user.family.id)

    def family_or_404(self, family_id=None):
        if not self.staff:
            family_id = current_user.family.id
        family = db.session.get(Family, family_id, options=[
            selectinload(Family.guardians), selectinload(Family.children)])
        if family is None:
            abort(404)
        return family

    def child_or_404(self, child_id):
        child = db.session.scalar(self._own(select(Child).where(Child.id == child_id),
                                            Child.family_id).options(
            selectinload(Child.family).selectinload(Family.guardians),
            selectinload(Child.health_record), selectinload(Child.authorizations),
            selectinload(Child.authorized_persons)))
        if child is None:
            abort(404)
        return child

    def guardian_or_404(self, guardian_id):
        guardian = db.session.scalar(self._own(
            select(Guardian).where(Guardian.id == guardian_id), Guardian.family_id)
            .options(selectinload(Guardian.family)))
        if guardian is None:
            abort(404)
        return guardian

    @staticmethod
    def person_or_404(child, person_id):
        person = next((p for p in child.authorized_persons if p.id == person_id), None)
        if person is None:
            abort(404)
        return person

    def pending(self, family_id):
        return pending_index(ChangeRequest.pending_for_family(family_id))

    def _record_health_read(self, child):
        """Every look at a child's health data by staff is in the audit log."""
        if self.staff:
            AuditEvent.record_shown(current_user, "health.viewed", [(child, child.family_id)])

    # -- pages -------------------------------------------------------------------------

    def child(self, child_id, tab):
        section = TABS[tab]
        return self._child_page(self.child_or_404(child_id), section)

    def _child_page(self, child, section, photo_form=None, status=200):
        body = render_page("family/child.html", area=self, child=child, tab=section,
                           pending=self.pending(child.family_id),
                           photo_form=photo_form or PhotoForm(), confirm_form=ConfirmForm())
        if section == "health":
            self._record_health_read(child)
        return body, status

    def edit_family_part(self, part, family_id=None):
        section = FAMILY_SECTIONS[part]
        family = self.family_or_404(family_id)
        return self._edit(section, family, family, back=self.family_url(family, anchor=part),
                          title_suffix=family.name)

    def edit_guardian(self, guardian_id):
        guardian = self.guardian_or_404(guardian_id)
        return self._edit("guardian", guardian.family, guardian, title_suffix=guardian.full_name,
                          back=self.family_url(guardian.family,
                                               anchor=f"responsable-{guardian.id}"))

    def edit_child(self, child_id, tab):
        section = TABS[tab]
        child = self.child_or_404(child_id)
        response = self._edit(section, child.family, child, back=self.child_url(child, section),
                              child=child, title_suffix=child.full_name)
        if section == "health" and request.method == "GET":
            self._record_health_read(child)
        return response

    def edit_contact(self, child_id, person_id):
        child = self.child_or_404(child_id)
        person = self.person_or_404(child, person_id)
        return self._edit("contact", child.family, person, child=child,
                          back=self.child_url(child, "contacts"), title_suffix=person.full_name)

    def _edit(self, section, family, target, back, child=None, title_suffix=""):
        target_type = SECTIONS[section][0]
        fields = section_fields(section)
        form_cls = form_class(section, fields)
        current = {f: read_value(target_type, target, f) for f in fields}
        if request.method == "GET":
            form = form_cls(data=form_cls.initial_data(self._wished(family, target_type,
                                                                    target, current)))
        else:
            form = form_cls()
        if section == "bank":
            form.has_iban = bool(current["iban"])  # then an empty IBAN field keeps it
        if form.validate_on_submit():
            touched = save_edit(current_user, family, target_type, target,
                                form.file_values(current))
            db.session.commit()
            flash(self._saved_message(touched), "success")
            return redirect(back)
        body = render_page("family/edit.html", area=self, form=form, section=section,
                           family=family, child=child, back=back, title_suffix=title_suffix,
                           current=current, heading=_("Modifier : %(what)s",
                                                      what=SECTION_TITLES[section]))
        return body, form_status()

    def _wished(self, family, target_type, target, current):
        """A parent's form shows what they asked for: pending values over validated ones."""
        if self.staff:
            return current
        pending = self.pending(family.id)["fields"]
        wished = dict(current)
        for field in current:
            change = pending.get((target_type, target.id, field))
            if change is not None:
                wished[field] = change.new_value
        return wished

    def _saved_message(self, touched):
        if self.staff:
            return _("Dossier mis à jour.") if touched else _("Aucune modification à "
                                                                "enregistrer.")
        if any(change.is_pending for change in touched):
            return _("Votre modification est envoyée au service enfance. Elle apparaît en "
                     "jaune jusqu'à sa validation.")
        if touched:
            return _("Votre demande de modification est retirée : la valeur validée reste "
                     "en place.")
        return _("Aucune modification à enregistrer.")

    # -- contacts ----------------------------------------------------------------------

    def new_contact(self, child_id):
        child = self.child_or_404(child_id)
        form = ContactForm()
        back = self.child_url(child, "contacts")
        if form.validate_on_submit():
            add_contact(current_user, child, form.file_values({}))
            db.session.commit()
            flash(_("Contact ajouté.") if self.staff else _(
                "Le nouveau contact est envoyé au service enfance. Il apparaît en jaune "
                "jusqu'à sa validation."), "success")
            return redirect(back)
        body = render_page("family/edit.html", area=self, form=form, section="contact",
                           family=child.family, child=child, back=back,
                           title_suffix=child.full_name, current={},
                           heading=_("Ajouter un contact"))
        return body, form_status()

    def delete_contact(self, child_id, person_id):
        child = self.child_or_404(child_id)
        person = self.person_or_404(child, person_id)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        delete_contact(current_user, person)
        db.session.commit()
        flash(_("Contact retiré.") if self.staff else _(
            "La suppression est demandée au service enfance ; le contact reste en place "
            "jusqu'à sa validation."), "success")
        return redirect(self.child_url(child, "contacts"))

    # -- photo -------------------------------------------------------------------------

    def upload_photo(self, child_id):
        child = self.child_or_404(child_id)
        form = PhotoForm()
        if form.validate_on_submit():
            try:
                name = store_photo(form.photo.data.stream)
            except PhotoError as error:
                form.photo.errors.append(PHOTO_ERRORS[error.reason])
            else:
                touched = save_edit(current_user, child.family, "photo", child, {"photo": name})
                db.session.commit()
                flash(self._saved_message(touched), "success")
                return redirect(self.child_url(child, "photo"))
        return self._child_page(child, "photo", photo_form=form, status=422)

    def photo(self, child_id):
        child = self.child_or_404(child_id)
        return _send_photo(child.photo_name)

    def pending_photo(self, change_id):
        change = db.session.scalar(self._own(select(ChangeRequest).where(
            ChangeRequest.id == change_id, ChangeRequest.target_type == "photo",
            ChangeRequest.status == "pending"), ChangeRequest.family_id))
        if change is None:
            abort(404)
        return _send_photo(change.new_value)

    # -- registration ------------------------------------------------------------------

    def register(self, bp, family_prefix=""):
        """Add the file's routes to bp; family_prefix locates a family's own pages.

        Each tab and part has its own rule (no converter with choices), so every URL of
        the area can be listed and tried by the access tests.
        """
        add = partial(_add_route, bp, {})
        edit = ("GET", "POST")
        for part in FAMILY_SECTIONS:
            add(f"{family_prefix}/{part}/modifier", "edit_family_part", self.edit_family_part,
                methods=edit, defaults={"part": part})
        add("/responsables/<int:guardian_id>/modifier", "edit_guardian", self.edit_guardian,
            methods=edit)
        for slug, section in TABS.items():
            rule = "/enfants/<int:child_id>" + ("" if section == "general" else f"/{slug}")
            add(rule, "child", self.child, defaults={"tab": slug})
            if section in EDITABLE_TABS:
                add(f"/enfants/<int:child_id>/{slug}/modifier", "edit_child", self.edit_child,
                    methods=edit, defaults={"tab": slug})
        add("/enfants/<int:child_id>/contacts/nouveau", "new_contact", self.new_contact,
            methods=edit)
        add("/enfants/<int:child_id>/contacts/<int:person_id>/modifier", "edit_contact",
            self.edit_contact, methods=edit)
        add("/enfants/<int:child_id>/contacts/<int:person_id>/supprimer", "delete_contact",
            self.delete_contact, methods=("POST",))
        add("/enfants/<int:child_id>/photo", "upload_photo", self.upload_photo,
            methods=("POST",))
        add("/enfants/<int:child_id>/photo.jpg", "photo", self.photo)
        add("/modifications/<int:change_id>/photo.jpg", "pending_photo", self.pending_photo)


# Each photo is decoded and re-encoded: a sender is held to a human pace.
photo_limit = limiter.limit("20 per hour", key_func=per_account("photos"), methods=["POST"])


def _add_route(bp, wrapped, rule, endpoint, view, methods=("GET",), defaults=None):
    """Every page of a family file is sent with Cache-Control: no-store."""
    if endpoint not in wrapped:
        wrapped[endpoint] = no_store(view)
        if endpoint == "upload_photo":
            wrapped[endpoint] = photo_limit(wrapped[endpoint])
    options = {"defaults": defaults} if defaults else {}
    bp.add_url_rule(rule, endpoint, wrapped[endpoint], methods=list(methods), **options)


def _send_photo(name):
    path = photo_path(name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="image/jpeg", max_age=0)


def back_url(default):
    """Where a small action (withdraw…) returns: the page it came from, on this site."""
    return safe_next(request.form.get("next")) or default
