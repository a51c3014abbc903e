"""Take the guide's screenshots (static/img/guide/) of the portal itself, on a phone.

    .venv/bin/python tools/guide_screenshots.py

It builds the demo town in a throwaway instance folder, serves the app on loopback,
drives Debian's Chromium with Playwright at 360 px wide, and saves each screen as a
small palette PNG. Run it again when the screens it shows change.
"""
import io
import os
import sys
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "static" / "img" / "guide"
PHONE = {"width": 360, "height": 740}
COLOURS = 48


def build_app(folder):
    os.environ.update(PORTAIL_ENV="testing", PORTAIL_INSTANCE=folder, RATELIMIT_ENABLED="0",
                      DATABASE_URL=f"sqlite:///{folder}/guide.sqlite3",
                      ARGON2_PROFILE="test")
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    import demo
    from app import create_app
    from extensions import db

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        demo.load()
        db.session.commit()
    return app, demo


def blank_pdf():
    from pypdf import PdfWriter

    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=200, height=200)
    writer.write(buffer)
    return buffer.getvalue()


def save(png, name):
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        small = image.convert("RGB").quantize(colors=COLOURS, dither=Image.Dither.NONE)
        small.save(OUT / name, optimize=True)
    print(f"{name}: {(OUT / name).stat().st_size // 1024} Ko")


def shoot(page, name, selector, height=None):
    """The element `selector`, at most `height` pixels of it."""
    box = page.locator(selector).first.bounding_box()
    clip = {"x": 0, "y": box["y"], "width": PHONE["width"],
            "height": min(box["height"], height or box["height"])}
    save(page.screenshot(clip=clip, full_page=True), name)


def main():
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portail-guide-") as folder:
        app, demo = build_app(folder)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_context(viewport=PHONE, base_url=base, locale="fr-FR").new_page()
            page.goto("/inscription")
            shoot(page, "inscription.png", "main", height=620)
            page.goto("/connexion")
            page.get_by_label("Adresse email").fill(demo.PARENT[0])
            page.get_by_label("Mot de passe", exact=True).fill(demo.PARENT[1])
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_url(f"{base}/")
            shoot(page, "accueil.png", "main", height=620)
            next_week = date.today() + timedelta(days=7)
            page.goto(f"/activites?vue=semaine5&date={next_week.isoformat()}")
            shoot(page, "planning.png", ".planning-grid", height=560)
            page.goto("/activites/longue-periode")
            shoot(page, "longue-periode.png", ".period-form", height=415)
            page.goto("/documents")
            page.get_by_label("Type de document").select_option("pai")
            page.get_by_label("Concerne").select_option(label="Hugo MARTIN")
            page.get_by_label("Fichier").set_input_files({
                "name": "pai-hugo.pdf", "mimeType": "application/pdf", "buffer": blank_pdf()})
            page.get_by_role("button", name="Envoyer le document").click()
            page.get_by_text("En attente de vérification").wait_for()
            shoot(page, "documents.png", "[aria-labelledby='sent-title']")
            page.goto("/nous-contacter")
            page.get_by_role("link", name="Allergie de Hugo aux arachides").click()
            shoot(page, "contact.png", ".messages")
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
