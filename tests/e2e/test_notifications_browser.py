"""Issue 14: Mon compte's agenda, reminder and device sections on a 360 px phone, with
axe-core finding nothing; the agenda link page; the service worker registers under the
CSP (no inline script) so the portal is installable."""
import pytest
from playwright.sync_api import expect

from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import fill_login

pytestmark = pytest.mark.e2e


def fits(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide"


def test_agenda_reminders_and_devices_on_a_phone(phone, planning):
    fill_login(phone, *planning.PARENT)
    phone.goto("/compte")
    for title in ("Agenda du téléphone", "Rappel des dates limites",
                  "Notifications sur cet appareil"):
        expect(phone.get_by_role("heading", name=title)).to_be_visible()
    fits(phone)
    assert_accessible(phone)
    phone.get_by_role("button", name="Créer mon lien d'agenda").click()
    expect(phone.get_by_role("heading", name="Votre lien d'agenda")).to_be_visible()
    link = phone.get_by_label("Ou copiez l'adresse dans votre agenda", exact=False)
    assert "/agenda/" in link.input_value() and link.input_value().endswith(".ics")
    assert phone.get_by_role("link", name="Ajouter à mon agenda").get_attribute(
        "href").startswith("webcal://")
    fits(phone)
    assert_accessible(phone)
    phone.get_by_role("link", name="Retour à Mon compte").click()
    expect(phone.locator("#agenda")).to_contain_text("Un lien d'agenda est actif")
    phone.get_by_label("Recevoir ce rappel").check()
    phone.get_by_role("button", name="Enregistrer mon choix").click()
    expect(phone.locator("#alerts")).to_contain_text("Vous recevrez un rappel")
    expect(phone.get_by_label("Recevoir ce rappel")).to_be_checked()
    fits(phone)
    assert_accessible(phone)


def test_the_service_worker_registers_and_the_manifest_is_linked(phone, planning):
    fill_login(phone, *planning.PARENT)
    phone.goto("/compte")
    scope = phone.evaluate("navigator.serviceWorker.ready.then(r => r.scope)")
    assert scope.endswith("/")
    manifest = phone.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())")
    assert manifest["display"] == "standalone"
    # This browser can subscribe: the button shows, the « not supported » hint does not.
    expect(phone.get_by_role("button", name="Recevoir les notifications sur cet appareil")
           ).to_be_visible()
