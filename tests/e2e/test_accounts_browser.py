"""A newcomer on a phone creates an account with the demo code, confirms it, logs in;
staff search families with htmx on a desktop."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import fill_login
from tests.helpers import link_in

pytestmark = pytest.mark.e2e


def test_registration_on_a_phone(phone, demo, run_jobs, mailbox):
    phone.goto("/connexion")
    phone.get_by_role("link", name="Créer un compte").click()
    phone.get_by_label("Madame").check()
    phone.get_by_label("Prénom").fill("Sophie")
    phone.get_by_label("Nom", exact=True).fill("Bernard")
    phone.get_by_label("Adresse email").fill("sophie@example.net")
    phone.get_by_label("Mot de passe", exact=True).fill("une phrase assez longue")
    phone.get_by_label("Confirmez le mot de passe").fill("une phrase assez longue")
    phone.get_by_label("Code abonné").fill(demo.UNUSED_CODE.lower())
    phone.get_by_role("button", name="Créer mon compte").click()
    expect(phone.get_by_role("heading", name="Confirmez votre adresse email")).to_be_visible()

    run_jobs()
    phone.goto(link_in(mailbox.wait_for("sophie@example.net", "Confirmez"),
                       "/inscription/confirmer/"))
    expect(phone.get_by_text("Votre compte est activé")).to_be_visible()

    fill_login(phone, "sophie@example.net", "une phrase assez longue")
    expect(phone.get_by_role("heading", name="Bonjour Sophie")).to_be_visible()
    # 360 px wide: nothing scrolls sideways, and the menu opens with its button.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    menu = phone.get_by_role("button", name="Menu")
    expect(menu).to_be_visible()
    menu.click()
    nav = phone.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Mon compte")).to_be_visible()


def test_staff_family_search_updates_in_place(desktop, demo):
    fill_login(desktop, *demo.AGENT)
    expect(desktop.get_by_role("heading", name="Espace agents")).to_be_visible()
    desktop.get_by_role("link", name="Familles", exact=True).first.click()
    marker = desktop.evaluate("window.portailMarker = 'same page'")
    assert marker == "same page"
    desktop.get_by_label(re.compile("^Rechercher une famille")).fill("bern")
    expect(desktop.locator("#family-results")).not_to_contain_text("MARTIN")
    expect(desktop.locator("#family-results")).to_contain_text("BERNARD")
    # Updated by htmx (no reload: the page's JS state survived) and the URL followed.
    assert desktop.evaluate("window.portailMarker") == "same page"
    expect(desktop).to_have_url(re.compile(r"/admin/familles\?q=bern$"))
