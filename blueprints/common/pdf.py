"""PDF documents drawn from templates with WeasyPrint (invoices, letters, lists)."""
import os

from flask import current_app, render_template

CSS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "static",
                       "css")
PDF_CSS = os.path.join(CSS_DIR, "invoice-pdf.css")


def render_pdf(template, stylesheet=PDF_CSS, **context):
    """The template rendered to PDF bytes, A4 with the portal's print stylesheet."""
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML

    # Importing WeasyPrint makes Pillow accept truncated images process-wide; uploaded
    # photos must still be refused when truncated (models/photos.py).
    ImageFile.LOAD_TRUNCATED_IMAGES = strict
    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.root_path).write_pdf(
        stylesheets=[CSS(filename=stylesheet)])


def pdf_response(data, filename):
    """A PDF to download; never kept by a cache (invoices, health lists, letters)."""
    return data, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }


def pdf_download(template, css_name, filename, **context):
    """A printed document of static/css/`css_name`'s layout (letters, lists) to download."""
    return pdf_response(render_pdf(template, stylesheet=os.path.join(CSS_DIR, css_name),
                                   **context), filename)
