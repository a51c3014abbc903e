"""Issue 14: the compact planning. A day's cells grouped by activity, each group saying
its deadline once (time left when near), a bare weekend left out of the week, the verb
on every button, « Semaine prochaine » and a date to jump to that work without
JavaScript, and a page whose cells come from one imported macro."""
import re
from datetime import timedelta

from models import Town
from models.calendar import first_school_day
from models.clock import utcnow
from tests.helpers import activity, child, login, page, school_weeks_ahead, today, upcoming_day


def week_html(client, monday, view="semaine"):
    return page(client, f"/activites?vue={view}&date={monday.isoformat()}")


def test_a_deadline_is_said_once_per_activity_and_day(client, planning):
    login(client, *planning.PARENT)
    monday = school_weeks_ahead(activity("APS Soir"), weeks_ahead=2)
    html = week_html(client, monday)
    section = html.split(f'aria-labelledby="day-{monday.isoformat()}"')[1].split("</section>")[0]
    # Léa and Hugo both have the canteen and the evening care that Monday: four cells,
    # but each activity says its deadline once.
    assert section.count("Modifiable jusqu'au") == section.count('class="group"')
    assert section.count('class="cell ') > section.count('class="group"')
    assert "Modifiable jusqu'au" in section


def test_a_near_deadline_says_the_time_left(app, planning):
    from blueprints.planning.compact import deadline_words
    from models.grid import Cell

    now = utcnow()
    day = upcoming_day(activity("APS Soir"), days_ahead=3)

    def said(left, state="none"):
        cell = Cell(child=child("Léa"), activity=activity("APS Soir"), day=day, state=state,
                    deadline=now + left, now=now)
        with app.test_request_context():
            return deadline_words([cell])

    assert said(timedelta(hours=2, minutes=30)) == "plus que 2 h pour modifier"
    assert said(timedelta(minutes=40)) == "plus que 40 min pour modifier"
    assert said(timedelta(days=3)).startswith("Modifiable jusqu'au ")
    assert said(-timedelta(hours=1)).startswith("Non modifiable : la date limite était le")


def test_every_button_says_its_verb(client, planning):
    login(client, *planning.PARENT)
    monday = school_weeks_ahead(activity("APS Soir"), weeks_ahead=2)
    for view in ("semaine", "semaine5", "mois", "jour", "liste"):
        html = week_html(client, monday, view)
        labels = re.findall(
            r'<button type="submit" class="cell__button[^"]*"[^>]*>([^<]*)</button>', html)
        assert labels and set(labels) <= {"Réserver", "Signaler une absence"}, (view, labels)


def test_a_bare_weekend_is_left_out_of_the_week(client, planning):
    login(client, *planning.PARENT)
    monday = school_weeks_ahead(activity("APS Soir"), weeks_ahead=2)
    html = week_html(client, monday)
    saturday, sunday = monday + timedelta(days=5), monday + timedelta(days=6)
    assert f'id="day-{saturday.isoformat()}"' not in html
    assert f'id="day-{sunday.isoformat()}"' not in html
    assert "Samedi et dimanche : pas d'activité." in html
    assert "planning-grid--days-5" in html


def test_next_week_and_a_date_to_jump_to(client, planning):
    login(client, *planning.PARENT)
    html = page(client, "/activites?vue=semaine5")
    monday = today() - timedelta(days=today().weekday()) + timedelta(weeks=1)
    landing = first_school_day(monday, monday + timedelta(days=6), Town.current().holiday_zone)
    assert re.search(rf'href="/activites\?vue=semaine5&(amp;)?date={landing.isoformat()}"[^>]*>'
                     "Semaine prochaine", html)
    # The date input is a plain GET form: it works without JavaScript.
    form = re.search(r'<form class="planning-bar__jump" method="get" action="/activites".*?</form>',
                     html, re.S).group(0)
    assert 'type="date"' in form and 'name="date"' in form and 'name="vue" value="semaine5"' in form
    target = upcoming_day(activity("APS Soir"), days_ahead=60)
    jumped = page(client, f"/activites?vue=semaine5&date={target.isoformat()}")
    assert f'id="day-{target.isoformat()}"' in jumped


def test_the_month_on_a_phone_links_each_day_with_initials(client, planning):
    login(client, *planning.PARENT)
    day = upcoming_day(activity("APS Soir"), days_ahead=10)
    html = page(client, f"/activites?vue=mois&date={day.isoformat()}")
    link = re.search(rf'<a class="day__dots" href="/activites\?vue=jour&(amp;)?'
                     rf'date={day.isoformat()}".*?</a>', html, re.S).group(0)
    assert "Léa APS Soir : Non réservé" in link or "Léa APS Soir : Réservé" in link
    assert f'dot-colour-{child("Léa").planning_colour}' in link and ">L</span>" in link


def test_the_page_renders_cells_with_one_imported_macro():
    from pathlib import Path
    template = Path("templates/planning/index.html").read_text()
    assert "{% include" not in template
    assert template.count('import cell_box') == 1
