"""What a reader sees, in French and in English: whole phrases per action, plurals
("0 jour", "1 absent"), one day said as one day, headings, names as the family file
spells them, day-first dates, and a planning whose view switches keep the day shown."""
import calendar as month_calendar
import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import delete, select

from extensions import db
from models import Booking, News, Request, Town, User
from models.calendar import first_school_day
from tests.helpers import (
    activity,
    add_closure,
    body,
    child,
    link_in,
    login,
    page,
    submit,
    tap,
    text_of,
    today,
    upcoming_day,
)

HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def words_of(html):
    """The text of a page without its tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def in_english(client):
    return submit(client, "/", {"lang": "en", "next": "/"}, post_url="/langue")


def reserved(who, what, day):
    keys = {"child_id": child(who).id, "activity_id": activity(what).id, "day": day}
    booking = db.session.scalar(select(Booking).filter_by(**keys)) or Booking(**keys)
    booking.state = "reserved"
    db.session.add(booking)
    db.session.commit()


# « demande de absence »


def test_an_absence_is_a_demande_d_absence_in_emails_and_mes_demandes(client, planning,
                                                                      run_jobs, mailbox):
    day = upcoming_day(activity("APS Soir"))
    reserved("Léa", "APS Soir", day)
    login(client, *planning.PARENT)
    tap(client, "Léa", "APS Soir", day)
    run_jobs()
    receipt = text_of(mailbox.wait_for(planning.PARENT[0], "Demande reçue"))
    decision = text_of(mailbox.wait_for(planning.PARENT[0], "Demande traitée"))
    assert "Nous avons bien reçu votre demande d'absence, envoyée le" in receipt
    assert "Votre demande d'absence envoyée le" in decision
    html = page(client, "/mes-demandes")
    assert "Demande d'absence du" in html
    assert "demande de absence" not in (receipt + decision + html).lower()


def test_in_english_a_request_is_a_whole_english_phrase(client, planning, run_jobs, mailbox):
    day = upcoming_day(activity("APS Soir"))
    reserved("Léa", "APS Soir", day)
    login(client, *planning.PARENT)
    in_english(client)
    tap(client, "Léa", "APS Soir", day)
    tap(client, "Hugo", "APS Soir", day)
    run_jobs()
    emails = " ".join(text_of(m) for m in mailbox.to(planning.PARENT[0]))
    assert "We have received your absence notice, sent on" in emails
    assert "We have received your booking request, sent on" in emails
    html = page(client, "/mes-demandes")
    assert "Absence notice of" in html and "Booking request of" in html


# Plurals: French says 0 and 1 in the singular


def test_roll_call_counts_agree_with_their_number(agent_client, planning):
    canteen = activity("Restauration scolaire")
    day = upcoming_day(canteen)
    db.session.execute(delete(Booking).where(Booking.activity_id == canteen.id,
                                             Booking.day == day))
    db.session.commit()
    reserved("Léa", "Restauration scolaire", day)
    html = page(agent_client, f"/admin/pointage?jour={day.isoformat()}&activite={canteen.id}")
    assert "1 attendu · 0 présent · 0 absent · 1 à pointer" in html


def test_dashboard_figures_agree_with_their_number(agent_client, planning):
    db.session.execute(delete(Request))
    db.session.commit()
    text = words_of(page(agent_client, "/admin/"))
    assert "2 dossiers famille" in text
    assert "0 demande aujourd'hui" in text and "0 demande en cours de traitement" in text
    assert "0 facture en retard" in text and "0 document à examiner" in text


def test_an_activity_with_one_place_says_place(client, planning):
    aps = activity("APS Soir")
    aps.capacity = 1
    db.session.commit()
    login(client, *planning.ADMIN)
    assert "1 place par jour" in page(client, "/admin/activites")


# One day is said as one day


def close_a_day_with_one_booking(client, planning, first, last):
    canteen = activity("Restauration scolaire")
    db.session.execute(delete(Booking).where(Booking.activity_id == canteen.id,
                                             Booking.day.between(first, last)))
    reserved("Léa", "Restauration scolaire", first)
    login(client, *planning.AGENT)
    return add_closure(client, canteen, first, last, "Grève", follow_redirects=True)


def day_words(day):
    return format_date(day, "EEEE d MMMM", locale="fr")


def test_a_one_day_closure_is_said_le_that_day(client, planning, run_jobs, mailbox):
    day = upcoming_day(activity("Restauration scolaire"), days_ahead=3)
    response = close_a_day_with_one_booking(client, planning, day, day)
    assert "Fermeture enregistrée : 1 réservation libérée" in body(response)
    assert f"Le {day_words(day)} · Restauration scolaire · Grève" in words_of(body(response))
    run_jobs()
    email = mailbox.wait_for(planning.PARENT[0], "Fermeture exceptionnelle")
    assert f"une fermeture exceptionnelle le {day_words(day)} (Grève)" in text_of(email)
    assert " au " not in text_of(email).split("(Grève)")[0]


def test_a_closure_of_several_days_is_said_du_au(client, planning):
    first = upcoming_day(activity("Restauration scolaire"), days_ahead=3)
    last = first + timedelta(days=1)
    html = words_of(body(close_a_day_with_one_booking(client, planning, first, last)))
    assert f"Du {day_words(first)} au {day_words(last)} · Restauration scolaire" in html


def test_news_shown_for_one_day_say_le_that_day(agent_client, planning):
    day = today() + timedelta(days=5)
    db.session.add_all([
        News(title="Un jour", body="…", published=True, publish_on=day, publish_until=day),
        News(title="Deux jours", body="…", published=True, publish_on=day,
             publish_until=day + timedelta(days=1))])
    db.session.commit()
    html = words_of(page(agent_client, "/admin/actualites"))
    assert f"le {day:%d/%m/%Y}" in html and f"du {day:%d/%m/%Y} au {day:%d/%m/%Y}" not in html
    assert f"du {day:%d/%m/%Y} au {day + timedelta(days=1):%d/%m/%Y}" in html


# Day headings: « Mardi 8 décembre », never « Mardi 8 Décembre »


def test_day_headings_capitalize_only_their_first_letter(client, planning):
    day = upcoming_day(activity("Restauration scolaire"))
    login(client, *planning.PARENT)
    html = page(client, f"/activites?vue=jour&date={day.isoformat()}")
    words = day_words(day)
    assert f'id="day-{day.isoformat()}">{words[0].upper()}{words[1:]}</h3>' in html
    css = client.get("/static/css/portail.css").get_data(as_text=True)
    rule = re.search(r"\.day__title \{[^}]*\}", css).group(0)
    assert "capitalize" not in rule  # the browser would make it « Décembre »


# Names as the family file spells them


SOPHIE = {"civility": "Mme", "first_name": "sophie", "last_name": "bernard",
          "email": "sophie.bernard@example.net", "password": "une phrase assez longue",
          "password_confirm": "une phrase assez longue"}


def test_greetings_use_the_family_files_spelling(client, other_client, demo, run_jobs,
                                                 mailbox):
    submit(client, "/inscription", dict(SOPHIE, subscriber_code=demo.UNUSED_CODE))
    run_jobs()
    email = mailbox.wait_for(SOPHIE["email"], "Confirmez la création")
    assert "Bonjour Mme Sophie Bernard," in text_of(email)
    assert client.get(link_in(email, "/inscription/confirmer/")).status_code == 200
    login(client, SOPHIE["email"], SOPHIE["password"])
    html = page(client, "/")
    assert "<h1>Bonjour Sophie</h1>" in html
    header = html[html.index("<header"):html.index("</header>")]
    assert "Mme Sophie Bernard" in words_of(header)
    assert "sophie" not in html

    in_english(client)
    html = page(client, "/")
    assert "<h1>Hello Sophie</h1>" in html and "Mme" not in words_of(
        html[html.index("<header"):html.index("</header>")])
    mailbox.clear()
    submit(other_client, "/mot-de-passe-oublie", {"email": SOPHIE["email"]})
    run_jobs()
    reset = text_of(mailbox.wait_for(SOPHIE["email"]))
    assert "Hello Sophie Bernard," in reset and "Mme" not in reset


# English dates are day first


def test_english_short_dates_put_the_day_first(client, planning):
    day = today() - timedelta(days=20)
    db.session.add(News(title="Fête de l'école", body="Venez nombreux.", published=True,
                        publish_on=day))
    db.session.commit()
    login(client, *planning.PARENT)
    assert f"{day:%d/%m/%Y}" in page(client, "/")
    in_english(client)
    html = page(client, "/")
    assert f"{day:%d/%m/%Y}" in html and f"{day.month}/{day.day}/{day:%y}" not in html


# Switching views keeps the day shown


def days_shown(html):
    return [date.fromisoformat(d) for d in re.findall(r'id="day-(\d{4}-\d{2}-\d{2})"', html)]


def title_of(html):
    return re.search(r'<h2 id="planning-title"[^>]*>([^<]*)</h2>', html).group(1)


def follow(client, html, label):
    """Open the link a person would tap: by its text, or its aria-label."""
    found = (re.search(rf'<a [^>]*href="([^"]+)"[^>]*>{re.escape(label)}</a>', html)
             or re.search(rf'<a [^>]*href="([^"]+)"[^>]*aria-label="{re.escape(label)}"', html))
    assert found, f"no link {label!r}"
    return page(client, found.group(1))


def month_title(day):
    """'Décembre 2026', as the planning's title says it."""
    words = format_date(day, "LLLL y", locale="fr")
    return words[0].upper() + words[1:]


def test_from_a_week_across_two_months_the_month_is_that_of_the_day_shown(client, planning):
    monday = today() - timedelta(days=today().weekday())
    while monday.month == (monday + timedelta(days=6)).month:
        monday += timedelta(weeks=1)
    first_of_month = (monday + timedelta(days=6)).replace(day=1)
    login(client, *planning.PARENT)
    week = page(client, f"/activites?vue=semaine&date={first_of_month.isoformat()}")
    assert monday in days_shown(week)
    month = follow(client, week, "Mois")
    assert title_of(month) == month_title(first_of_month)


def test_from_a_month_the_week_is_that_of_its_first_school_day(client, planning):
    # A month starting on a weekend: the week of its 1st is in the month before.
    first = date(today().year, today().month, 1)
    while True:
        first = (first + timedelta(days=31)).replace(day=1)
        if first.weekday() >= 5:
            break
    last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
    school_day = first_school_day(first, last, Town.current().holiday_zone)
    login(client, *planning.PARENT)
    before = page(client, f"/activites?vue=mois&date={(first - timedelta(days=1)).isoformat()}")
    month = follow(client, before, "Période suivante")
    assert title_of(month) == month_title(first)
    week = follow(client, month, "Semaine 5j")
    shown = days_shown(week)
    assert school_day in shown and all(day.month == first.month for day in shown)
    assert title_of(follow(client, week, "Mois")) == month_title(first)


# Dates out of the calendar


@pytest.mark.parametrize("url", ["/activites?vue=mois&date=9999-12-31",
                                 "/activites?vue=semaine&date=0001-01-01",
                                 "/activites?vue=jour&date=9999-12-31",
                                 "/activites/case?jour=0001-01-01&enfant=1&activite=1"])
def test_a_date_out_of_the_calendar_is_refused_in_french(client, planning, url):
    login(client, *planning.PARENT)
    response = client.get(url)
    assert response.status_code == 400
    assert "Date hors du calendrier" in body(response)
    fragment = client.get(url, headers=HTMX)
    assert fragment.status_code == 400 and "Date hors du calendrier" in body(fragment)


def test_a_tap_out_of_the_calendar_is_refused_and_saves_nothing(client, planning):
    login(client, *planning.PARENT)
    response = tap(client, "Léa", "APS Soir", date(1, 1, 1))
    assert response.status_code == 400 and "Date hors du calendrier" in body(response)
    assert db.session.scalar(select(Request)) is None


def test_a_date_a_few_years_away_is_still_shown(client, planning):
    login(client, *planning.PARENT)
    later = today().replace(day=1) + timedelta(days=3 * 365)
    assert month_title(later) in page(client, f"/activites?vue=mois&date={later.isoformat()}")


def test_the_names_of_a_staff_account_are_its_own(agent_client, planning):
    agent = db.session.scalar(select(User).where(User.email == planning.AGENT[0]))
    html = page(agent_client, "/admin/")
    header = html[html.index("<header"):html.index("</header>")]
    assert f"{agent.first_name} {agent.last_name}" in words_of(header)
