"""What the régie's pages share between parents and staff: the words for the reasons of
corrections, and making a PDF of a billing document (credit notes, statements, print
batches) the way invoices are made (WeasyPrint, the invoices' stylesheet)."""
from flask_babel import lazy_gettext as _l

from blueprints.common.pdf import render_pdf
from models.corrections import ADDED, CANCELLED, CERTIFICATE, PRICE, RELEASED, ROLLCALL

REASON_LABELS = {
    ROLLCALL: _l("Pointage ajouté ou modifié après la facture"),
    CERTIFICATE: _l("Certificat médical reçu"),
    RELEASED: _l("Réservation libérée (fermeture, retrait, absence)"),
    ADDED: _l("Réservation ajoutée après la facture"),
    PRICE: _l("Erreur de tarif ou de quotient familial"),
    CANCELLED: _l("Annulation de la facture"),
}
def correction_reason(code):
    return REASON_LABELS.get(code, code)


def attestation_pdf(family, year, issued_on, town):
    """The attestation of childcare costs, or None when no child is eligible."""
    from models.statements import childcare_statements

    statement = childcare_statements([family.id], year).get(family.id)
    if statement is None:
        return None
    return render_pdf("billing/attestation_pdf.html", statement=statement, town=town,
                     issued_on=issued_on)


def payments_pdf(family, year, town):
    from models.statements import payment_statement

    return render_pdf("billing/payments_pdf.html", statement=payment_statement(family, year),
                     town=town)
