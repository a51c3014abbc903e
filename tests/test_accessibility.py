"""Issue 14: what the markup owes assistive technologies, on every parent page: one
element per id (a label points at one field), and the focus ring's contrast."""
import re
from collections import Counter
from pathlib import Path

from tests.helpers import login, page

NOT_PAGES = (".csv", ".json", ".pdf", ".zip", ".ics", ".jpg", "/fichier", "/piece-jointe",
             "/healthz", "/dev/", "/paiement-en-ligne/notification",
             "/activites/case", "/admin", "/static", "/connexion", "/inscription",
             "/deconnexion")


def parent_pages(app):
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments
                   and not any(part in rule.rule for part in NOT_PAGES)})


def test_no_id_is_used_twice_on_a_parent_page(app, client, planning):
    login(client, *planning.PARENT)
    urls = parent_pages(app)
    assert "/compte" in urls and "/activites" in urls
    for url in urls:
        html = page(client, url)
        twice = [i for i, n in Counter(re.findall(r'\sid="([^"]+)"', html)).items() if n > 1]
        assert twice == [], (url, twice)


def test_the_email_change_password_has_its_own_label(client, planning):
    login(client, *planning.PARENT)
    html = page(client, "/compte")
    assert '<label for="email_current_password">Mot de passe actuel</label>' in html
    assert 'id="email_current_password" name="current_password"' in html or \
        ('id="email_current_password"' in html and 'name="current_password"' in html)


def _luminance(hex_colour):
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one, two):
    high, low = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_is_visible_on_light_and_dark_backgrounds():
    css = Path("static/css/portail.css").read_text()
    colours = dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-f]{6})", css.split("}")[0]))
    ring = colours["focus"]
    for background in ("paper", "page", "info-bg", "ok-bg", "pending"):
        assert _contrast(ring, colours[background]) >= 3, background
    header_ring = re.search(r"\.site-header \{[^}]*--focus: (#[0-9a-f]{6})", css).group(1)
    assert _contrast(header_ring, colours["primary"]) >= 3
