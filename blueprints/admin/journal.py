"""The régie's books for billing staff: the payment journal (page and CSV) and the month's
invoices and credit notes as CSV for the town's accounting. CSV: semicolons, UTF-8 with
a byte-order mark, French decimals (1234,56) and dates (dd/mm/yyyy)."""
from flask import request
from flask_babel import gettext as _

from blueprints.admin.billing import last_month
from blueprints.admin.blueprint import bp
from blueprints.admin.exports import csv_response, month_arg
from blueprints.admin.money import money_only
from blueprints.common.invoices import payment_method
from blueprints.common.pages import render_page
from models.billing import money
from models.journal import month_ledger, payment_journal


def french_amount(amount):
    """Decimal('1234.5') -> '1234,50' (what a French spreadsheet reads as a number)."""
    return str(money(amount)).replace(".", ",")


def french_date(day):
    return day.strftime("%d/%m/%Y") if day else ""


def _method(method):
    return str(payment_method(method))


@bp.get("/facturation/journal")
@money_only
def payment_journal_page():
    first, last = month_arg(request.args.get("mois", ""), default=last_month())
    return render_page("admin/billing/journal.html", journal=payment_journal(first, last),
                       month=first)


@bp.get("/facturation/journal.csv")
@money_only
def payment_journal_csv():
    first, last = month_arg(request.args.get("mois", ""), default=last_month())
    journal = payment_journal(first, last)
    rows = [[_("Date"), _("Mode de règlement"), _("Nombre"), _("Montant")]]
    for day in journal.days:
        for method in journal.methods:
            if day.counts.get(method):
                rows.append([french_date(day.day), _method(method), day.counts[method],
                             french_amount(day.totals[method])])
        rows.append([french_date(day.day), _("Total du jour"), sum(day.counts.values()),
                     french_amount(day.total)])
    for method in journal.methods:
        if journal.counts.get(method):
            rows.append([_("Total"), _method(method), journal.counts[method],
                         french_amount(journal.totals[method])])
    rows.append([_("Total"), _("Tous modes"), sum(journal.counts.values()),
                 french_amount(journal.total)])
    return csv_response(rows, f"journal-reglements-{first:%Y-%m}.csv")



@bp.get("/facturation/factures-du-mois.csv")
@money_only
def month_ledger_csv():
    first, _last = month_arg(request.args.get("mois", ""), default=last_month())
    kinds = {"invoice": _("Facture"), "supplementary": _("Facture complémentaire"),
             "credit_note": _("Avoir")}
    rows = [[_("Numéro"), _("Type"), _("Famille"), _("Émise le"), _("Montant"),
             _("Échéance"), _("Réglé"), _("Reste à payer"), _("Corrige")]]
    for row in month_ledger(first):
        rows.append([row.number, kinds[row.kind], row.family_name, french_date(row.issued_on),
                     french_amount(row.amount), french_date(row.due_on),
                     french_amount(row.paid), french_amount(row.balance), row.corrects])
    return csv_response(rows, f"factures-avoirs-{first:%Y-%m}.csv")
