"""The staff's family search: any case, any accents, by child, guardian, full name in
any order, phone or email, the same on SQLite and PostgreSQL."""
import importlib.util
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from extensions import db
from models import Child, Family, Guardian
from tests.helpers import HTMX, page


@pytest.fixture
def dupont(demo):
    family = Family(name="DUPONT-ÉLÉONORE")
    family.guardians.append(Guardian(civility="Mme", first_name="Éloïse", last_name="Dupont",
                                     email="Eloise.Dupont@Example.net",
                                     mobile_phone="07 11 22 33 44"))
    family.children.append(Child(first_name="Zoé", last_name="Dupont-Éléonore"))
    db.session.add(family)
    db.session.commit()
    return family


def found(client, query):
    html = page(client, f"/admin/familles?q={query}")
    results = html[html.index('id="family-results"'):]
    return re.findall(r'/admin/familles/\d+">([^<]+)</a>', results)


@pytest.mark.parametrize("query", [
    "Éléonore", "eleonore", "ÉLÉONORE", "zoe", "ZOÉ", "dupont-eleonore", "Zoé Dupont",
    "eloise", "Éloïse Dupont", "dupont eloise", "07 11 22 33 44", "0711223344",
    "+33 7 11 22 33 44", "eloise.dupont@example.net", "ELOISE.DUPONT@"])
def test_a_family_is_found_any_way_it_is_written(agent_client, dupont, query):
    assert found(agent_client, query) == ["DUPONT-ÉLÉONORE"]


@pytest.mark.parametrize("query", ["Léa Martin", "martin lea", "claire", "06 12 34 56 78",
                                   "0612345678", "parent@example.org", "hugo"])
def test_the_demo_family_by_child_guardian_phone_or_email(agent_client, dupont, query):
    assert found(agent_client, query) == ["MARTIN"]


def test_nothing_found_says_so_and_wildcards_are_words(agent_client, dupont):
    assert found(agent_client, "Léa Dupont") == []
    assert found(agent_client, "%") == [] and found(agent_client, "_") == []
    assert "Aucun dossier ne correspond." in page(agent_client, "/admin/familles?q=%25")
    assert len(found(agent_client, "")) == 3  # no query: every family


def test_the_search_words_follow_every_change(agent_client, dupont):
    zoe = db.session.scalar(select(Child).where(Child.first_name == "Zoé"))
    zoe.first_name = "Anaïs"
    dupont.guardians[0].mobile_phone = "06 55 44 33 22"
    db.session.commit()
    assert found(agent_client, "anais") == ["DUPONT-ÉLÉONORE"]
    assert found(agent_client, "zoe") == []
    assert found(agent_client, "0655443322") == ["DUPONT-ÉLÉONORE"]
    db.session.delete(zoe)
    db.session.commit()
    assert found(agent_client, "anais") == []


def test_the_htmx_search_answers_the_results_only(agent_client, dupont):
    response = agent_client.get("/admin/familles?q=zoe", headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="family-results">') and "DUPONT" in html


def test_the_migration_fills_existing_families(app, dupont):
    """Rows written before the column existed are filled by migration 0007, with the
    model's own folding."""
    path = Path(app.root_path) / "migrations" / "versions" / "0010_family_search_text.py"
    spec = importlib.util.spec_from_file_location("migration_0007", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    db.session.execute(text("UPDATE families SET search_text = ''"))
    migration.fill(db.session.connection())
    db.session.commit()
    texts = dict(db.session.execute(text("SELECT name, search_text FROM families")).all())
    assert "zoe dupont eleonore" in texts["DUPONT-ÉLÉONORE"]
    assert "0711223344" in texts["DUPONT-ÉLÉONORE"]
    assert "lea martin" in texts["MARTIN"] and "parent@example.org" in texts["MARTIN"]
