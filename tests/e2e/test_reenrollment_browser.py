"""The 2027-2028 (next year's) re-enrollment campaign on the demo, in a browser: an
admin opens it, the demo family confirms on a phone, staff validate."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Enrollment
from models.calendar import school_year_label, school_year_of
from tests.e2e.conftest import fill_login
from tests.helpers import child, today

pytestmark = pytest.mark.e2e


def test_the_demo_family_is_re_enrolled(desktop, phone, planning):
    year = school_year_of(today()) + 1
    fill_login(desktop, *planning.ADMIN)
    desktop.goto("/admin/reinscriptions")
    form = desktop.locator("#new-campaign")
    expect(form.get_by_label("Année scolaire préparée (année de la rentrée)")).to_have_value(
        str(year))
    form.get_by_label("Les familles répondent à partir du").fill(today().isoformat())
    form.get_by_label("Jusqu'au").fill((today() + timedelta(days=20)).isoformat())
    form.get_by_label("Le planning de cette année s'ouvre aux réservations le").fill(
        (today() + timedelta(days=30)).isoformat())
    form.get_by_role("button", name="Ouvrir la campagne").click()
    expect(desktop.get_by_text(f"Campagne de réinscription {school_year_label(year)} "
                               "ouverte : 3 enfant(s) à réinscrire.")).to_be_visible()

    fill_login(phone, *planning.PARENT)
    expect(phone.get_by_text("votre réponse est attendue")).to_be_visible()
    phone.get_by_role("link", name="Répondre").click()
    hugo = phone.locator(f"#reenrollment-{child('Hugo').id}")
    expect(hugo.get_by_text("À la rentrée : GS (aujourd'hui MS).")).to_be_visible()
    hugo.get_by_label("APS Matin").uncheck()
    hugo.get_by_role("button", name="Confirmer pour Hugo").click()
    expect(phone.get_by_text("Réponse enregistrée pour Hugo")).to_be_visible()
    phone.locator(f"#reenrollment-{child('Léa').id}").get_by_role(
        "button", name="Confirmer pour Léa").click()
    expect(phone.get_by_text("Réponse enregistrée pour Léa")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    desktop.reload()
    expect(desktop.get_by_text("2 familles · 1 réponse(s) reçue(s) · 1 sans réponse")
           ).to_be_visible()
    desktop.locator(f"#campaign-family-{child('Léa').family_id}").get_by_role(
        "button", name="Valider").click()
    # The planning fixture enrolled them for next year already: Hugo's APS Matin goes.
    expect(desktop.get_by_text("Réinscription validée : 0 inscription(s) créée(s)")
           ).to_be_visible()
    expect(desktop.locator(f"#campaign-family-{child('Léa').family_id}")).to_contain_text(
        "Léa : CE2 → CM1")

    db.session.rollback()  # see what the web server committed
    assert {e.activity.name for e in db.session.scalars(select(Enrollment).where(
        Enrollment.child_id == child("Hugo").id, Enrollment.school_year == year))} == {
        "Restauration scolaire", "APS Soir"}

    phone.reload()
    expect(phone.get_by_text("Validée par le service enfance").first).to_be_visible()
