"""The home page and the document upload on a 360 x 740 phone, in Chromium."""
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import fill_login
from tests.samples import pdf_bytes

pytestmark = pytest.mark.e2e


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 360)
  .map(e => e.tagName + '.' + e.className).slice(0, 5)"""


def no_sideways_scroll(page):
    # Measured once the page and its images are laid out (the guide's screenshots load
    # lazily); what sticks out is named when it fails.
    page.wait_for_load_state("load")
    for _ in range(30):
        if page.evaluate("document.documentElement.scrollWidth") <= 360:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{page.url} is wider than a phone: {page.evaluate(WIDEST)}")


def test_home_page_on_a_phone(phone, demo):
    fill_login(phone, *demo.PARENT)
    expect(phone.get_by_role("heading", name="Bonjour Claire")).to_be_visible()
    changes = phone.get_by_role("region", name="Évolution de vos dernières informations")
    expect(changes).to_be_visible()
    expect(changes.get_by_role("link", name="Demandes traitées 0")).to_be_visible()
    expect(changes.get_by_role("link", name="Réponses à vos messages 1")).to_be_visible()
    news = phone.get_by_role("region", name="Actualités")
    expect(news.get_by_role("link")).to_have_count(2)  # the third is scheduled for later
    expect(news.get_by_role("link").first).to_contain_text("Menus du mois")
    tiles = phone.get_by_role("navigation", name="Rubriques")
    for label in ("Activités", "Nous contacter", "Guide d'utilisation", "Infos diverses",
                  "Règlement intérieur", "Transmettre un document"):
        expect(tiles.get_by_role("link", name=label)).to_be_visible()
    no_sideways_scroll(phone)

    news.get_by_role("link", name="Menus du mois").click()
    expect(phone.get_by_role("heading", name="Menus du mois", level=1)).to_be_visible()
    expect(phone.get_by_text("Le repas du jeudi est végétarien.")).to_be_visible()
    no_sideways_scroll(phone)

    phone.go_back()
    changes.get_by_role("link", name="Réponses à vos messages 1").click()
    expect(phone.get_by_role("heading", name="Nous contacter", level=1)).to_be_visible()
    expect(phone.locator("main").get_by_text("02 40 00 00 00")).to_be_visible()
    no_sideways_scroll(phone)


def test_a_document_goes_up_with_a_progress_bar(phone, demo):
    fill_login(phone, *demo.PARENT)
    phone.goto("/documents")
    no_sideways_scroll(phone)
    # Remember, across the page change that follows the upload, that the bar showed.
    phone.evaluate("""() => {
      const area = document.querySelector('[data-upload-progress]');
      new MutationObserver(() => { if (!area.hidden) sessionStorage.barShown = 'yes'; })
        .observe(area, {attributes: true});
    }""")
    phone.get_by_label("Type de document").select_option("caf")
    phone.get_by_label("Fichier").set_input_files(
        {"name": "attestation-caf.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()})
    phone.get_by_role("button", name="Envoyer le document").click()

    expect(phone.get_by_text("Votre document a bien été envoyé")).to_be_visible()
    sent = phone.get_by_role("region", name="Documents envoyés")
    expect(sent.get_by_text("En attente de vérification")).to_be_visible()
    expect(sent.get_by_role("link", name="attestation-caf.pdf")).to_be_visible()
    assert phone.evaluate("sessionStorage.barShown") == "yes"


def test_bad_files_are_explained_without_leaving_the_page(phone, demo):
    fill_login(phone, *demo.PARENT)
    phone.goto("/documents")
    phone.evaluate("window.portailMarker = 'same page'")

    # Too large: said at once, before anything is sent.
    phone.get_by_label("Fichier").set_input_files(
        {"name": "scan.pdf", "mimeType": "application/pdf",
         "buffer": b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)})
    phone.get_by_role("button", name="Envoyer le document").click()
    expect(phone.get_by_role("alert")).to_contain_text("Le fichier dépasse 10 Mo.")

    # Disguised: the server answers and the form shows why, in place.
    phone.get_by_label("Fichier").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": b"<html>pas une photo</html>"})
    phone.get_by_role("button", name="Envoyer le document").click()
    expect(phone.get_by_text("Seuls les fichiers PDF, JPEG ou PNG sont acceptés")).to_be_visible()
    expect(phone.get_by_label("Fichier")).to_be_focused()
    assert phone.evaluate("window.portailMarker") == "same page"
    expect(phone.get_by_text("Vous n'avez encore envoyé aucun document.")).to_be_visible()


def test_every_new_page_fits_a_phone(phone, demo):
    """No sideways scrolling and no console error (a CSP violation is one) on the pages
    of this area, for a visitor and for a parent."""
    phone.goto("/connexion")
    phone.get_by_role("link", name="Lire le guide d'utilisation").click()
    expect(phone.get_by_role("heading", name="Guide d'utilisation")).to_be_visible()
    no_sideways_scroll(phone)
    fill_login(phone, *demo.PARENT)
    expect(phone.get_by_role("heading", name="Bonjour Claire")).to_be_visible()
    for url, heading in [("/actualites", "Actualités"), ("/documents", "Transmettre un document"),
                         ("/nous-contacter", "Nous contacter"), ("/guide", "Guide d'utilisation"),
                         ("/infos-diverses", "Infos diverses"),
                         ("/reglement-interieur", "Règlement intérieur")]:
        phone.goto(url)
        expect(phone.get_by_role("heading", name=heading, level=1)).to_be_visible()
        no_sideways_scroll(phone)
    phone.goto("/nous-contacter")
    phone.get_by_role("link", name="Allergie de Hugo aux arachides").click()
    expect(phone.get_by_text("Oui : un PAI signé par le médecin scolaire")).to_be_visible()
    no_sideways_scroll(phone)
