"""Reference data kept between requests (models/reference.py): a parent's pages read the
town and the activities without a statement while nothing changed, and see at once what
the staff changed, whoever changed it and however."""
from sqlalchemy import event, text, update
from sqlalchemy.orm import Session

from extensions import db
from models import Activity, Town
from tests.helpers import activity, add_closure, login, page, school_weeks_ahead

REFERENCE_TABLES = ("FROM towns", "FROM activities", "FROM closures", "FROM booking_windows",
                    "FROM billing_settings")


def _week_url(day):
    return f"/activites?vue=semaine&date={day.isoformat()}"


def _statements(client, url):
    sent = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        html = page(client, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return html, sent


def test_the_week_page_reads_no_reference_row_while_nothing_changed(client, planning):
    login(client, *planning.PARENT)
    url = _week_url(school_weeks_ahead(activity("APS Soir"), 2))
    _, first = _statements(client, url)
    assert any("FROM activities" in statement for statement in first)
    html, again = _statements(client, url)
    assert "APS Soir" in html
    assert not [s for s in again if any(table in s for table in REFERENCE_TABLES)]
    assert len(again) < len(first)


def test_an_activity_renamed_by_another_process_shows_at_once(client, planning):
    login(client, *planning.PARENT)
    url = _week_url(school_weeks_ahead(activity("APS Soir"), 2))
    assert "APS Soir" in page(client, url)
    # Another worker (its own session and connection) renames it and commits.
    with Session(db.engine) as other:
        other.get(Activity, activity("APS Soir").id).name = "Accueil du soir"
        other.commit()
    html = page(client, url)
    assert "Accueil du soir" in html and "APS Soir" not in html


def test_a_statement_that_changes_reference_rows_is_seen_too(client, planning):
    login(client, *planning.PARENT)
    page(client, "/")
    with Session(db.engine) as other:
        other.execute(update(Town).values(phone="05 55 00 00 99"))
        other.commit()
    assert "05 55 00 00 99" in page(client, "/nous-contacter")


def test_a_change_rolled_back_is_never_shown(client, planning):
    login(client, *planning.PARENT)
    url = _week_url(school_weeks_ahead(activity("APS Soir"), 2))
    with Session(db.engine) as other:
        other.get(Activity, activity("APS Soir").id).name = "Jamais enregistré"
        other.flush()
        other.rollback()
    assert "Jamais enregistré" not in page(client, url)
    assert "APS Soir" in page(client, url)


def test_a_closure_added_by_the_staff_shows_on_the_kept_week(client, other_client, planning):
    aps = activity("APS Soir")
    monday = school_weeks_ahead(aps, 2)
    login(client, *planning.PARENT)
    url = _week_url(monday)
    assert "Sortie du personnel" not in page(client, url)
    login(other_client, *planning.AGENT)
    response = add_closure(other_client, aps, monday, monday, "Sortie du personnel")
    assert response.status_code == 302
    assert "Sortie du personnel" in page(client, url)


def test_a_kept_row_is_edited_and_saved_as_usual(app, planning):
    # The staff's pages get the kept town attached to their session: an edit is saved.
    town = Town.current()
    town.phone = "05 55 11 22 33"
    db.session.commit()
    db.session.remove()
    with Session(db.engine) as other:
        assert other.scalar(db.select(Town.phone)) == "05 55 11 22 33"
    assert Town.current().phone == "05 55 11 22 33"


def test_a_change_by_hand_is_seen_once_the_stamp_is_changed_as_the_readme_says(client,
                                                                              planning):
    login(client, *planning.PARENT)
    url = _week_url(school_weeks_ahead(activity("APS Soir"), 2))
    assert "APS Soir" in page(client, url)
    new_stamp = ("md5(random()::text)" if db.engine.dialect.name == "postgresql"
                 else "lower(hex(randomblob(16)))")
    with db.engine.begin() as connection:  # psql or sqlite3, by hand
        connection.execute(text("UPDATE activities SET name = 'Garderie du soir' "
                                "WHERE name = 'APS Soir'"))
    assert "APS Soir" in page(client, url)  # kept: nothing told the app
    with db.engine.begin() as connection:
        connection.execute(text(f"UPDATE reference_stamps SET stamp = {new_stamp}"))
    html = page(client, url)
    assert "Garderie du soir" in html and "APS Soir" not in html
