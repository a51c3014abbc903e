"""The print batch: every invoice of a month for the families without an account, one PDF,
one invoice a page, the address where an envelope's window shows it. Billing staff."""
from flask import request

from blueprints.admin.billing import last_month
from blueprints.admin.blueprint import bp
from blueprints.admin.exports import month_arg
from blueprints.admin.money import money_only
from blueprints.common.pages import current_town, render_page
from blueprints.common.pdf import pdf_response, render_pdf
from models import BillingSettings
from models.statements import invoices_to_print


@bp.get("/facturation/impression")
@money_only
def print_batch():
    first, _last = month_arg(request.args.get("mois", ""), default=last_month())
    return render_page("admin/billing/print.html", month=first,
                       invoices=invoices_to_print(first))


@bp.get("/facturation/impression.pdf")
@money_only
def print_batch_pdf():
    first, _last = month_arg(request.args.get("mois", ""), default=last_month())
    invoices = invoices_to_print(first)
    return pdf_response(render_pdf("billing/print_batch_pdf.html", invoices=invoices,
                                  town=current_town(), settings=BillingSettings.current()),
                        f"factures-a-imprimer-{first:%Y-%m}.pdf")
