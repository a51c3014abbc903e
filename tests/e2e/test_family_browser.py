"""Ma famille in a real browser: a parent on a phone changes a phone number and sees it
waiting in yellow; an agent on a desktop approves a change in place."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import fill_login
from tests.family_helpers import guardian

pytestmark = pytest.mark.e2e

YELLOW = "rgb(255, 243, 191)"


def test_parent_changes_a_phone_number_and_sees_it_pending_in_yellow(phone, demo):
    claire = guardian("MARTIN", "Claire")
    fill_login(phone, *demo.PARENT)
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Ma famille").click()
    expect(phone.get_by_role("heading", name="Ma famille", exact=True)).to_be_visible()
    phone.evaluate("window.portailMarker = 'same page'")

    card = phone.locator(f"#responsable-{claire.id}")
    card.get_by_role("link", name="Modifier : Claire MARTIN").click()
    expect(phone.get_by_role("heading", name="Modifier : Responsable")).to_be_visible()
    expect(phone).to_have_url(re.compile(rf"/ma-famille/responsables/{claire.id}/modifier$"))
    phone.get_by_label("Téléphone portable").fill("07 61 22 33 44")
    phone.get_by_role("button", name="Envoyer pour validation").click()

    expect(phone.get_by_role("heading", name="Ma famille", exact=True)).to_be_visible()
    card = phone.locator(f"#responsable-{claire.id}")
    pending = card.locator(".pending").filter(has_text="07 61 22 33 44")
    expect(pending).to_be_visible()
    expect(pending).to_contain_text("en attente de validation")
    expect(card).to_contain_text("06 12 34 56 78")  # the validated number stays
    assert pending.evaluate("e => getComputedStyle(e).backgroundColor") == YELLOW
    expect(phone.locator("#alerts")).to_contain_text("Votre modification est envoyée")
    # htmx swapped the page in place (its JS state survived) and the URL followed.
    assert phone.evaluate("window.portailMarker") == "same page"
    expect(phone).to_have_url(re.compile(r"/ma-famille/$"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # The parent can take the request back from the same place.
    pending.get_by_role("button", name=re.compile("Retirer ma demande")).click()
    expect(card.locator(".pending").filter(has_text="07 61 22 33 44")).to_have_count(0)
    expect(phone.locator("#alerts")).to_contain_text("Demande retirée")


def test_child_tabs_and_health_form_on_a_phone(phone, demo):
    fill_login(phone, *demo.PARENT)
    phone.goto("/ma-famille/")
    phone.get_by_role("link", name="Hugo MARTIN").click()
    expect(phone.get_by_role("heading", name="Hugo MARTIN")).to_be_visible()
    tabs = phone.get_by_role("navigation", name="Fiche de Hugo")
    tabs.get_by_role("link", name="Santé").click()
    expect(phone.get_by_role("heading", name="Données sanitaires")).to_be_visible()
    expect(tabs.get_by_role("link", name="Santé")).to_have_attribute("aria-current", "page")
    # The demo's diet change is waiting beside the validated "Aucun".
    expect(phone.locator(".pending").filter(has_text="Végétarien")).to_be_visible()
    phone.get_by_role("link", name="Modifier : Données sanitaires").click()
    phone.get_by_label("Sans gluten").check()
    phone.get_by_role("group", name="Vaccinations à jour").get_by_label("Oui").check()
    phone.get_by_role("button", name="Envoyer pour validation").click()
    expect(phone.locator(".pending").filter(has_text="Sans gluten")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_agent_approves_a_change_in_place(desktop, demo):
    fill_login(desktop, *demo.AGENT)
    desktop.get_by_role("link", name="Modifications à valider").first.click()
    expect(desktop.get_by_role("heading", name="Modifications à valider")).to_be_visible()
    desktop.evaluate("window.portailMarker = 'same page'")
    item = desktop.locator("li.change").filter(has_text="Profession")
    expect(item).to_contain_text("Infirmier")
    item.get_by_label("Commentaire pour la famille (facultatif)").fill("Bien noté.")
    item.get_by_role("button", name="Valider : Profession").click()
    decided = desktop.locator("li.change").filter(has_text="Profession")
    expect(decided).to_contain_text("Modification validée et appliquée au dossier.")
    expect(decided).to_contain_text("Bien noté.")
    assert desktop.evaluate("window.portailMarker") == "same page"
    assert guardian("MARTIN", "Thomas").profession == "Infirmier"
