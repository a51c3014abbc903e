"""The demo town loaded by `flask demo` (and by `make run` on first start).

Idempotent: each piece is created only if missing, so running it twice changes nothing.
The logins are public on purpose: this data is for trying the portal, never production.
"""
from datetime import date

from extensions import db
from models import Child, Family, Guardian, Town, User
from models.clock import utcnow
from models.user import ROLE_ADMIN, ROLE_PARENT, ROLE_STAFF

PARENT = ("parent@example.org", "portail-parent-2026")
AGENT = ("agent@example.org", "portail-agent-2026")
ADMIN = ("admin@example.org", "portail-admin-2026")
# The BERNARD family has not created its account yet: try registration with this code.
UNUSED_CODE = "PF-BERNA-RD026"


def load():
    """Create what is missing; returns True when something was created."""
    created = False
    if Town.current() is None:
        db.session.add(Town(
            name="Beaulieu-sur-Loire", service_name="Service enfance",
            address_line="1 place de la Mairie", postal_code="44680", city="Beaulieu-sur-Loire",
            phone="02 40 00 00 00", email="enfance@beaulieu-sur-loire.example.org",
            opening_hours="Du lundi au vendredi, de 9 h à 12 h et de 14 h à 17 h",
            holiday_zone="B"))
        created = True
    created |= _martin_family()
    created |= _bernard_family()
    created |= _staff(AGENT, ROLE_STAFF, "Nadia", "LEROY")
    created |= _staff(ADMIN, ROLE_ADMIN, "Marc", "DUVAL")
    db.session.flush()
    return created


def _family(name):
    return db.session.scalar(db.select(Family).where(Family.name == name))


def _martin_family():
    if _family("MARTIN") is not None:
        return False
    family = Family(name="MARTIN", address_line="12 rue des Tilleuls", postal_code="44680",
                    city="Beaulieu-sur-Loire")
    claire = Guardian(civility="Mme", first_name="Claire", last_name="Martin",
                      email=PARENT[0], mobile_phone="06 12 34 56 78")
    thomas = Guardian(civility="M.", first_name="Thomas", last_name="Martin",
                      mobile_phone="06 98 76 54 32")
    family.guardians += [claire, thomas]
    family.children += [
        Child(first_name="Léa", last_name="Martin", birth_date=date(2017, 5, 12), sex="F",
              school="École des Tilleuls", class_name="CE2", planning_colour=0),
        Child(first_name="Hugo", last_name="Martin", birth_date=date(2020, 2, 3), sex="M",
              school="École des Tilleuls", class_name="MS", planning_colour=1),
    ]
    family.issue_subscriber_code()
    db.session.add(family)
    user = User(email=PARENT[0], role=ROLE_PARENT, civility="Mme", first_name="Claire",
                last_name="Martin", guardian=claire, confirmed_at=utcnow())
    user.set_password(PARENT[1])
    db.session.add(user)
    return True


def _bernard_family():
    if _family("BERNARD") is not None:
        return False
    family = Family(name="BERNARD", address_line="3 chemin du Port", postal_code="44680",
                    city="Beaulieu-sur-Loire")
    family.guardians.append(Guardian(civility="Mme", first_name="Sophie", last_name="Bernard"))
    family.children.append(Child(first_name="Jules", last_name="Bernard",
                                 birth_date=date(2016, 10, 21), sex="M",
                                 school="École des Tilleuls", class_name="CM1",
                                 planning_colour=0))
    family.issue_subscriber_code(UNUSED_CODE)
    db.session.add(family)
    return True


def _staff(login, role, first_name, last_name):
    if User.by_email(login[0]) is not None:
        return False
    user = User(email=login[0], role=role, first_name=first_name, last_name=last_name,
                confirmed_at=utcnow())
    user.set_password(login[1])
    db.session.add(user)
    return True


def summary(public_url):
    return "\n".join([
        f"Portail Famille : {public_url}",
        f"Boîte mail de développement : {public_url}/dev/boite-mail",
        f"  Parent (famille MARTIN, 2 enfants) : {PARENT[0]} / {PARENT[1]}",
        f"  Agent du service enfance           : {AGENT[0]} / {AGENT[1]}",
        f"  Administrateur                     : {ADMIN[0]} / {ADMIN[1]}",
        f"  Code abonné libre (famille BERNARD, Sophie BERNARD) : {UNUSED_CODE}",
    ])
