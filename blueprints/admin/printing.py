"""Printed documents of the staff area (letters, lists): HTML rendered to an A4 PDF by
WeasyPrint, with the town's header, sent as a download nobody keeps in a cache."""
import os

from flask import current_app, render_template

CSS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "static",
                       "css")


def render_pdf(template, css_name, **context):
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML

    # Importing WeasyPrint makes Pillow accept truncated images process-wide; uploaded
    # photos must still be refused when truncated (models/photos.py).
    ImageFile.LOAD_TRUNCATED_IMAGES = strict
    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.root_path).write_pdf(
        stylesheets=[CSS(filename=os.path.join(CSS_DIR, css_name))])


def pdf_download(template, css_name, filename, **context):
    # no-store: letters carry addresses, lists carry health data and phone numbers.
    return render_pdf(template, css_name, **context), 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
