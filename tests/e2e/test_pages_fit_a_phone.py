"""Every page without parameters, for a parent and for staff, is usable at 360 px: no
sideways scrolling and no console error (a CSP violation is one)."""
import pytest

from tests.e2e.conftest import fill_login

pytestmark = pytest.mark.e2e

# Files and downloads are not pages.
NOT_PAGES = (".csv", ".json", ".pdf", ".zip", ".ics", ".jpg", ".webmanifest", "/sw.js",
             "/fichier", "/piece-jointe",
             "/healthz", "/dev/",
             "/activites/case", "/pointage/liste",  # fragments asked with their parameters
             "/paiement-en-ligne/notification")  # the payment backend's, server to server


def pages(app, prefix, exclude=()):
    urls = []
    for rule in app.url_map.iter_rules():
        if ("GET" in rule.methods and not rule.arguments and rule.rule.startswith(prefix)
                and not any(part in rule.rule for part in NOT_PAGES + exclude)):
            urls.append(rule.rule)
    return sorted(set(urls))


def assert_fits(page, url):
    page.goto(url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{url} is {width} px wide"


def test_parent_pages_fit_a_phone(app, phone, planning):
    fill_login(phone, *planning.PARENT)
    urls = [u for u in pages(app, "/", exclude=("/admin", "/static")) if u not in (
        "/connexion", "/inscription", "/deconnexion")]
    assert "/activites" in urls and "/ma-famille/" in urls
    for url in urls:
        assert_fits(phone, url)


def test_staff_pages_fit_a_phone(app, phone, planning):
    fill_login(phone, *planning.ADMIN)
    urls = pages(app, "/admin")
    assert "/admin/pointage" in urls and len(urls) > 15
    for url in urls:
        assert_fits(phone, url)


def test_retention_pages_fit_a_phone_and_pass_axe(app, phone, planning):
    """The retention page and a family's erasure page (its parameter is one the walk
    above cannot fill)."""
    from sqlalchemy import select

    from extensions import db
    from models import Family
    from tests.e2e.axe import assert_accessible

    family_id = db.session.scalar(select(Family.id).where(Family.name == "MARTIN"))
    fill_login(phone, *planning.ADMIN)
    assert_fits(phone, "/admin/conservation")
    assert_accessible(phone)
    assert_fits(phone, f"/admin/familles/{family_id}/effacer")
    assert_accessible(phone)
