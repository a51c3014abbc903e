"""The demo town loaded by `flask demo` (and by `make run` on first start).

Idempotent: each piece is created only if missing, so running it twice changes nothing.
The logins are public on purpose: this data is for trying the portal, never production.
"""
from datetime import date, time, timedelta
from decimal import Decimal

from extensions import db
from models import (
    Activity,
    Attendance,
    AuthorizedPerson,
    BillingSettings,
    Booking,
    ChangeRequest,
    Child,
    ContactThread,
    Enrollment,
    Family,
    Guardian,
    HealthRecord,
    Invoice,
    News,
    QfBracket,
    Tariff,
    Town,
    TownPage,
    User,
)
from models.attendance import ABSENT, ILL, PRESENT
from models.billing import issue_invoices, month_bounds
from models.calendar import days_between, school_year_of
from models.child_file import set_authorization
from models.clock import paris_today, utcnow
from models.deadlines import CLEAR_DAYS, DAYS_BEFORE, HOURS_BEFORE, MONTH_BEFORE, WEEK_BEFORE
from models.holiday_centres import BookingWindow, holiday_periods
from models.info import MISC
from models.planning import RESERVED, PlanningCalendar
from models.user import ROLE_ADMIN, ROLE_BILLING, ROLE_PARENT, ROLE_STAFF

PARENT = ("parent@example.org", "portail-parent-2026")
AGENT = ("agent@example.org", "portail-agent-2026")
ADMIN = ("admin@example.org", "portail-admin-2026")
# The régisseur: invoices, payments, credit notes and SEPA files.
REGISSEUR = ("regie@example.org", "portail-regie-2026")
# The BERNARD family has not created its account yet: try registration with this code.
UNUSED_CODE = "PF-BERNA-RD026"


def load(invoices=False):
    """Create what is missing; returns True when something was created. With invoices,
    last month is marked in the roll call and invoiced (as `flask demo` does; the tests
    start without invoices)."""
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
    created |= _martin_file()
    created |= _bernard_family()
    created |= _staff(AGENT, ROLE_STAFF, "Nadia", "LEROY")
    created |= _staff(ADMIN, ROLE_ADMIN, "Marc", "DUVAL")
    created |= _staff(REGISSEUR, ROLE_BILLING, "Claire", "ROUX")
    db.session.flush()
    created |= _activities()
    db.session.flush()
    created |= _enrollments_and_bookings()
    created |= _booking_windows()
    created |= _news()
    created |= _misc_page()
    db.session.flush()
    created |= _contact_thread()
    db.session.flush()
    created |= _billing()
    created |= _online_payment()
    db.session.flush()
    if invoices:
        created |= _last_month_invoices()
    return created


# name, hours, weekdays, meal, capacity, deadline (days, time, working days only)
ACTIVITIES = [
    ("Restauration scolaire", time(12, 0), time(13, 45), "1245", True, 120, 2, time(10, 0), True),
    ("APS Matin", time(7, 30), time(8, 30), "1245", False, 40, 1, time(18, 0), False),
    ("APS Soir", time(16, 0), time(18, 0), "1245", False, 40, 1, time(18, 0), False),
    ("Mercredi JOURNÉE", time(7, 15), time(18, 45), "3", True, 48, 7, time(12, 0), False),
    ("Mercredi matin AVEC REPAS", time(7, 15), time(14, 0), "3", True, 24, 7, time(12, 0),
     False),
]


# Booking rules beyond the first ones (models/deadlines.py), so that the demo shows every
# deadline kind, a booking horizon, a cancellation rule of its own, a waiting list and
# each late-request policy.
MORE_RULES = {
    # Late requests (models/late.py): submitted to the staff here, accepted with the
    # billing rules' surcharge on Wednesdays.
    "APS Matin": dict(deadline_kind=HOURS_BEFORE, deadline_days=72, booking_horizon_days=100,
                      late_reserve_policy="staff", late_cancel_policy="staff"),
    "Mercredi JOURNÉE": dict(late_reserve_policy="surcharge", late_cancel_policy="surcharge"),
    "Mercredi matin AVEC REPAS": dict(
        capacity=6, waiting_list=True, deadline_kind=MONTH_BEFORE, deadline_days=20,
        deadline_time=time(23, 59), cancel_deadline_kind=DAYS_BEFORE, cancel_deadline_days=7,
        cancel_deadline_time=time(12, 0), cancel_deadline_working_days=False),
    "Stage vacances": dict(
        holidays_only=True, waiting_list=True, promote_by_hand=True,
        deadline_kind=CLEAR_DAYS, deadline_days=8, deadline_time=time(23, 59),
        cancel_deadline_kind=WEEK_BEFORE, cancel_deadline_days=4,
        cancel_deadline_time=time(23, 59), cancel_deadline_working_days=False),
    # A holiday centre booked by whole weeks, each holiday period with its booking window
    # (see _booking_windows).
    "Accueil de loisirs (semaine)": dict(holidays_only=True, booked_by_week=True),
}
# A holiday-centre activity nobody is enrolled in yet (the service enrolls for each
# holiday period).
MORE_ACTIVITIES = [
    ("Stage vacances", time(9, 0), time(17, 0), "12345", True, 12, 8, time(23, 59), False),
    ("Accueil de loisirs (semaine)", time(8, 0), time(18, 0), "12345", True, 24, 5,
     time(12, 0), True),
]
# Each holiday period's registrations (for every holiday-centre activity): they open two
# months before its first day and close ten days before, whatever today is.
WINDOW_OPENS_BEFORE = timedelta(days=60)
WINDOW_CLOSES_BEFORE = timedelta(days=10)


def _activities():
    if db.session.scalar(db.select(Activity.id).limit(1)) is not None:
        return False
    for position, row in enumerate(ACTIVITIES + MORE_ACTIVITIES):
        name, start, end, weekdays, meal, capacity, days, at, working = row
        activity = Activity(name=name, start_time=start, end_time=end, weekdays=weekdays,
                            includes_meal=meal, capacity=capacity, deadline_days=days,
                            deadline_time=at, deadline_working_days=working,
                            position=position)
        for column, value in MORE_RULES.get(name, {}).items():
            setattr(activity, column, value)
        db.session.add(activity)
    return True


def _booking_windows():
    """Booking windows for the holiday periods from a few months back to next year's."""
    if db.session.scalar(db.select(BookingWindow.id).limit(1)) is not None:
        return False
    today = paris_today()
    zone = Town.current().holiday_zone
    for period in holiday_periods(zone, today - timedelta(days=90), today + timedelta(days=400)):
        db.session.add(BookingWindow(school_year=period.school_year, period_name=period.name,
                                     opens_on=period.first_day - WINDOW_OPENS_BEFORE,
                                     closes_on=period.first_day - WINDOW_CLOSES_BEFORE))
    return True


def demo_school_years(today):
    """The school years the demo families are enrolled in: this one, and from June the
    next one too, as the service re-enrolls families before the summer."""
    year = school_year_of(today)
    return [year, year + 1] if today.month >= 6 and today.month < 9 else [year]


BOOKED_CANTEEN_DAYS = 40  # about eight school weeks


def _enrollments_and_bookings():
    """Léa and Hugo eat at the canteen and stay after school; Léa comes on Wednesdays.
    Their canteen is reserved from the start of this month (or, in the summer break,
    from the start of the next school year) for about eight school weeks."""
    if db.session.scalar(db.select(Enrollment.id).limit(1)) is not None:
        return False
    activities = {a.name: a for a in Activity.ordered()}
    today = paris_today()
    years = demo_school_years(today)
    plan = {
        "Léa": ["Restauration scolaire", "APS Soir", "Mercredi JOURNÉE"],
        "Hugo": ["Restauration scolaire", "APS Matin", "APS Soir"],
        "Jules": ["Restauration scolaire", "Mercredi matin AVEC REPAS"],
    }
    children = db.session.scalars(db.select(Child)).all()
    for year in years:
        for child in children:
            for name in plan.get(child.first_name, []):
                db.session.add(Enrollment(child=child, activity=activities[name],
                                          school_year=year))
    canteen = activities["Restauration scolaire"]
    martins = [child for child in children if child.family.name == "MARTIN"]
    for day in _canteen_days(canteen, today.replace(day=1), years):
        for child in martins:
            db.session.add(Booking(child=child, activity_id=canteen.id, day=day,
                                   state=RESERVED))
    return True


def _canteen_days(canteen, first, years):
    """The next canteen days from `first` in the enrolled years (the summer is skipped)."""
    last = first + timedelta(days=150)
    calendar = PlanningCalendar(Town.current().holiday_zone, first, last)
    days = [day for day in days_between(first, last)
            if school_year_of(day) in years and calendar.runs(canteen, day)]
    return days[:BOOKED_CANTEEN_DAYS]


NEWS = [
    # days from today it is shown from, title, text
    (-20, "Inscriptions pour la rentrée",
     "Les dossiers d'inscription pour la prochaine année scolaire sont à rendre **avant le "
     "30 juin**.\n\nVous pouvez les envoyer depuis la rubrique *Documents* du portail, en "
     "PDF ou en photo. Pensez à joindre :\n\n- l'attestation CAF de moins de trois mois ;\n"
     "- le certificat de vaccination ;\n- le PAI de votre enfant s'il en a un."),
    (-3, "Menus du mois",
     "Les menus de la restauration scolaire sont affichés à l'entrée de l'école et dans la "
     "rubrique *Infos diverses*. Le repas du jeudi est végétarien."),
    (10, "Fermeture exceptionnelle de l'accueil du soir",
     "En raison d'une formation de l'équipe, l'accueil périscolaire du soir fermera à 17 h 30 "
     "ce jour-là. Merci de votre compréhension."),
]

MISC_TEXT = """## Menus de la restauration scolaire

Les menus sont établis par une diététicienne et affichés chaque semaine à l'entrée de l'école.

## Que mettre dans le sac de votre enfant ?

- une gourde marquée à son nom ;
- pour les plus petits, une tenue de rechange.

## Contacts utiles

| Qui | Téléphone |
|:--|:--|
| École des Tilleuls | 02 40 00 00 10 |
| Accueil périscolaire | 02 40 00 00 11 |
"""


def _news():
    if db.session.scalar(db.select(News.id).limit(1)) is not None:
        return False
    today = paris_today()
    for days, title, body in NEWS:
        db.session.add(News(title=title, body=body, published=True,
                            publish_on=today + timedelta(days=days)))
    return True


def _misc_page():
    if TownPage.get(MISC) is not None:
        return False
    TownPage.get_or_new(MISC).edit(MISC_TEXT, None)
    return True


def _contact_thread():
    """Claire MARTIN asked about Hugo's allergy; the service answered."""
    if db.session.scalar(db.select(ContactThread.id).limit(1)) is not None:
        return False
    parent, agent = User.by_email(PARENT[0]), User.by_email(AGENT[0])
    hugo = db.session.scalar(db.select(Child).where(Child.first_name == "Hugo"))
    thread = ContactThread.start(parent.family, parent, "Allergie de Hugo aux arachides",
                                 "Bonjour,\nHugo est allergique aux arachides. Faut-il un PAI "
                                 "pour qu'il mange à la cantine ?\nMerci, Claire Martin",
                                 child=hugo)
    thread.add_message(agent, "Bonjour Madame Martin,\nOui : un PAI signé par le médecin "
                              "scolaire est nécessaire. Envoyez-le depuis la rubrique "
                              "Documents, nous le transmettrons à l'équipe de la cantine.\n"
                              "Le service enfance")
    return True


# Family quotient brackets and the price of a day of each activity in each bracket.
BRACKETS = [("Tranche A", 0), ("Tranche B", 501), ("Tranche C", 901), ("Tranche D", 1301)]
PRICES = {
    "Restauration scolaire": ("1.00", "2.35", "3.40", "4.10"),
    "APS Matin": ("0.80", "1.20", "1.60", "2.00"),
    "APS Soir": ("1.20", "1.80", "2.40", "3.00"),
    "Mercredi JOURNÉE": ("6.00", "9.50", "13.00", "16.50"),
    "Mercredi matin AVEC REPAS": ("4.00", "6.20", "8.40", "10.60"),
}
PAYMENT_INSTRUCTIONS = ("Par chèque à l'ordre du Trésor public, en espèces, en CESU ou par carte "
                        "bancaire au guichet du service enfance (1 place de la Mairie), du lundi "
                        "au vendredi de 9 h à 12 h et de 14 h à 17 h.")


def _billing():
    """Brackets, tariffs and rules; the QF of both families; the MARTIN's SEPA mandate."""
    if db.session.scalar(db.select(QfBracket.id).limit(1)) is not None:
        return False
    brackets = [QfBracket(label=label, min_quotient=minimum) for label, minimum in BRACKETS]
    db.session.add_all(brackets)
    db.session.flush()
    for activity in Activity.ordered(only_active=False):
        for bracket, price in zip(brackets, PRICES.get(activity.name, ()), strict=False):
            db.session.add(Tariff(activity_id=activity.id, bracket_id=bracket.id,
                                  unit_price=Decimal(price)))
    settings = BillingSettings.current()
    settings.payment_instructions = PAYMENT_INSTRUCTIONS
    settings.creditor_name = "Mairie de Beaulieu-sur-Loire"
    settings.creditor_iban = "FR7630001007941234567890185"
    settings.creditor_bic = "BDFEFRPPCCT"
    settings.creditor_identifier = "FR12ZZZ123456"
    db.session.add(settings)
    martin, bernard = _family("MARTIN"), _family("BERNARD")
    martin.quotient = 720
    bernard.quotient = 450
    martin.mandate_reference = "PF-MARTIN-0001"
    martin.mandate_signed_on = date(school_year_of(paris_today()) - 1, 9, 1)
    return True


def _online_payment():
    """Pay online with eopayment's dummy backend, played by the development simulator
    (/dev/paiement): a newcomer pays an invoice end to end without a bank."""
    from models.online_payment import DUMMY, PaymentSettings

    if db.session.scalar(db.select(PaymentSettings.id).limit(1)) is not None:
        return False
    settings = PaymentSettings.current()
    settings.update(DUMMY, {"origin": "Portail Famille de Beaulieu-sur-Loire (démo)"}, "",
                    enabled=True, minimum_amount=Decimal("1.00"), partial_allowed=True)
    return True


def _last_month_invoices():
    """The two last months at school invoiced: the demo parent can pay both in one
    online basket."""
    canteen = {a.name: a for a in Activity.ordered()}["Restauration scolaire"]
    last = _last_month_at_school(canteen)
    earlier = _last_month_at_school(canteen, before=last)
    created = _month_invoice(earlier)
    return _month_invoice(last) or created


def _month_invoice(month):
    """A month in the roll call (Léa and Hugo at the canteen, Hugo ill one day, Léa
    once at the evening APS without a reservation), then invoiced by the billing code."""
    activities = {a.name: a for a in Activity.ordered()}
    canteen, evening = activities["Restauration scolaire"], activities["APS Soir"]
    if db.session.scalar(db.select(Invoice.id).where(Invoice.month == month)) is not None:
        return False
    first, last = month_bounds(month)
    calendar = PlanningCalendar(Town.current().holiday_zone, first, last)
    agent = User.by_email(AGENT[0])
    family = _family("MARTIN")
    lea, hugo = sorted(family.children, key=lambda c: c.birth_date)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)
            if calendar.runs(canteen, first + timedelta(days=n))]
    for index, day in enumerate(days):
        for child in (lea, hugo):
            if db.session.scalar(db.select(Booking.id).where(
                    Booking.child_id == child.id, Booking.activity_id == canteen.id,
                    Booking.day == day)) is None:
                db.session.add(Booking(child=child, activity_id=canteen.id, day=day,
                                       state=RESERVED))
            ill = child is hugo and index == 2
            Attendance.mark(child.id, canteen.id, day, ABSENT if ill else PRESENT, agent,
                            reason=ILL if ill else None)
    if days:
        Attendance.mark(lea.id, evening.id, days[-1], PRESENT, agent, unreserved=True)
    db.session.flush()
    issue_invoices([family.id], month, paris_today())
    return True


def _last_month_at_school(canteen, before=None):
    """Last month (or the month before `before`), or before it the latest month with two
    school weeks (not August)."""
    start = before or paris_today().replace(day=1)
    month = (start - timedelta(days=1)).replace(day=1)
    for _ in range(3):
        first, last = month_bounds(month)
        calendar = PlanningCalendar(Town.current().holiday_zone, first, last)
        if sum(calendar.runs(canteen, day) for day in days_between(first, last)) >= 8:
            break
        month = (month - timedelta(days=1)).replace(day=1)
    return month


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


def _martin_file():
    """Health data, authorizations, a contact, bank data and two changes awaiting staff."""
    family = _family("MARTIN")
    lea, hugo = sorted(family.children, key=lambda c: c.birth_date)
    if lea.health_record is not None:
        return False
    family.bank_holder = "Claire MARTIN"
    family.iban = "FR1420041010050500013M02606"
    family.bic = "PSSTFRPP"
    lea.health_record = HealthRecord(
        allergies="Arachides : trousse d'urgence dans le cartable.", diets=["sans_porc"],
        pai=True, disability=False, doctor_name="Dr Anne Morel", doctor_phone="02 40 12 34 56",
        vaccinations_up_to_date=True, remarks="Porte des lunettes.")
    for kind, granted in (("leave_alone", False), ("image_rights", True),
                          ("emergency_care", True)):
        set_authorization(lea, kind, granted)
        set_authorization(hugo, kind, granted and kind != "leave_alone")
    lea.authorized_persons.append(AuthorizedPerson(
        full_name="Monique Durand", relation="Grand-mère", phone="06 11 22 33 44",
        may_pick_up=True, emergency_contact=True))
    db.session.flush()
    # Waiting for staff, made as Claire would make them from Ma famille.
    claire = User.by_email(PARENT[0])
    thomas = next(g for g in family.guardians if g.first_name == "Thomas")
    ChangeRequest.propose(claire, family, "guardian", thomas, {"profession": "Infirmier"})
    ChangeRequest.propose(claire, family, "health", hugo, {"diets": ["vegetarien"]})
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
        f"  Régisseur (facturation)            : {REGISSEUR[0]} / {REGISSEUR[1]}",
        f"  Administrateur                     : {ADMIN[0]} / {ADMIN[1]}",
        f"  Code abonné libre (famille BERNARD, Sophie BERNARD) : {UNUSED_CODE}",
    ])
