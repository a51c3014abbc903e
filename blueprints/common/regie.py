"""What the régie's pages share between parents and staff: the words for the reasons of
corrections, and making a PDF of a billing document (credit notes, statements, print
batches) the way invoices are made (WeasyPrint, the invoices' stylesheet)."""
import os

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from models.corrections import ADDED, CANCELLED, CERTIFICATE, PRICE, RELEASED, ROLLCALL

REASON_LABELS = {
    ROLLCALL: _l("Pointage ajouté ou modifié après la facture"),
    CERTIFICATE: _l("Certificat médical reçu"),
    RELEASED: _l("Réservation libérée (fermeture, retrait, absence)"),
    ADDED: _l("Réservation ajoutée après la facture"),
    PRICE: _l("Erreur de tarif ou de quotient familial"),
    CANCELLED: _l("Annulation de la facture"),
}
PDF_CSS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "static",
                       "css", "invoice-pdf.css")


def correction_reason(code):
    return REASON_LABELS.get(code, code)


def pdf_bytes(template, **context):
    """Render `template` to PDF bytes."""
    from PIL import ImageFile

    strict = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import CSS, HTML

    # Importing WeasyPrint makes Pillow accept truncated images process-wide; uploaded
    # photos must still be refused when truncated (models/photos.py).
    ImageFile.LOAD_TRUNCATED_IMAGES = strict
    html = render_template(template, **context)
    return HTML(string=html, base_url=current_app.root_path).write_pdf(
        stylesheets=[CSS(filename=PDF_CSS)])


def pdf_download(data, name):
    return data, 200, {"Content-Type": "application/pdf",
                       "Content-Disposition": f'attachment; filename="{name}"',
                       "Cache-Control": "no-store"}


def attestation_pdf(family, year, issued_on, town):
    """The attestation of childcare costs, or None when no child is eligible."""
    from models.statements import childcare_statements

    statement = childcare_statements([family.id], year).get(family.id)
    if statement is None:
        return None
    return pdf_bytes("billing/attestation_pdf.html", statement=statement, town=town,
                     issued_on=issued_on)


def payments_pdf(family, year, town):
    from models.statements import payment_statement

    return pdf_bytes("billing/payments_pdf.html", statement=payment_statement(family, year),
                     town=town)


def init_app(app):
    app.jinja_env.filters.update(correction_reason=correction_reason)
