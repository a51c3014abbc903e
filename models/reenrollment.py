"""The yearly re-enrollment campaign (réinscriptions): the service opens next school
year's enrollment between two dates, every child enrolled this year is proposed the next
class and this year's activities, families confirm or change them in the portal, staff
validate (the enrollments of the next school year are created), families that did not
answer get a reminder. Next year's planning opens on the date the town sets."""
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from extensions import db
from models.calendar import school_year_of
from models.clock import utcnow
from models.family import Child, Family
from models.planning import Activity, Enrollment

# French classes, in order: maternelle (TPS to GS), then élémentaire (CP to CM2). After
# CM2 a child leaves the elementary school (collège): nothing more is proposed.
CLASSES = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2")
LEAVES = "6e"

# Where a child's answer stands.
PROPOSED = "proposed"     # what the service proposes, the family has not answered yet
CONFIRMED = "confirmed"   # the family answered (confirmed or changed its activities)
VALIDATED = "validated"   # staff validated it: next year's enrollments exist


def next_class(class_name):
    """'CE2' -> 'CM1', 'GS' -> 'CP', 'CM2' -> '6e' (leaves); an unknown class stays."""
    key = (class_name or "").strip().upper()
    if key not in CLASSES:
        return class_name
    index = CLASSES.index(key)
    return CLASSES[index + 1] if index + 1 < len(CLASSES) else LEAVES


class Campaign(db.Model):
    __tablename__ = "reenrollment_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year: Mapped[int] = mapped_column(Integer, unique=True)  # the year it prepares
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    # From this day on, families can book the days of that school year.
    planning_opens_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    answers = relationship("ChildAnswer", back_populates="campaign",
                           cascade="all, delete-orphan")

    @classmethod
    def for_year(cls, school_year):
        return db.session.scalar(select(cls).where(cls.school_year == school_year))

    @classmethod
    def latest(cls):
        return db.session.scalar(select(cls).order_by(cls.school_year.desc()).limit(1))

    @classmethod
    @cache  # built once, with a parameter: SQLAlchemy compiles it once (every home page)
    def _open_on(cls):
        today = bindparam("today", type_=Date)
        return (select(cls).where(cls.opens_on <= today, cls.closes_on >= today)
                .order_by(cls.school_year.desc()).limit(1))

    @classmethod
    def open_for_families(cls, today):
        """The campaign families can answer today, or None."""
        return db.session.scalar(cls._open_on(), {"today": today})

    @classmethod
    def answers_awaited(cls, family_id, today):
        """How many of the family's children a campaign open `today` awaits an answer for:
        a SELECT, that the home page runs with its counters."""
        return (select(func.count(ChildAnswer.id)).join(cls)
                .where(cls.opens_on <= today, cls.closes_on >= today,
                       ChildAnswer.family_id == family_id, ChildAnswer.status == PROPOSED))

    @classmethod
    @cache
    def _open_with_awaited(cls):
        awaited = select(func.count(ChildAnswer.id)).where(
            ChildAnswer.campaign_id == cls.id, ChildAnswer.family_id == bindparam("family_id"),
            ChildAnswer.status == PROPOSED).scalar_subquery()
        return cls._open_on().add_columns(awaited)

    @classmethod
    def awaiting_answers(cls, family_id, today):
        """(the campaign open today, how many of the family's children it awaits an answer
        for), in one statement; None when no campaign is open."""
        row = db.session.execute(cls._open_with_awaited(),
                                 {"today": today, "family_id": family_id}).first()
        return tuple(row) if row else None

    def is_open(self, today):
        return self.opens_on <= today <= self.closes_on

    @classmethod
    def start(cls, school_year, opens_on, closes_on, planning_opens_on, by):
        """Open the campaign: one proposal per child enrolled in the year before, its
        next class and this year's activities (none for a child who leaves)."""
        campaign = cls(school_year=school_year, opens_on=opens_on, closes_on=closes_on,
                       planning_opens_on=planning_opens_on, created_by_id=by.id)
        db.session.add(campaign)
        current = {}
        for child_id, activity_id in db.session.execute(
                select(Enrollment.child_id, Enrollment.activity_id)
                .join(Activity, Activity.id == Enrollment.activity_id)
                .where(Enrollment.school_year == school_year - 1, Activity.active.is_(True))):
            current.setdefault(child_id, set()).add(activity_id)
        children = db.session.scalars(select(Child).where(Child.id.in_(current))).all()
        for child in children:
            promoted = next_class(child.class_name)
            leaves = promoted == LEAVES
            campaign.answers.append(ChildAnswer(
                child_id=child.id, family_id=child.family_id, current_class=child.class_name,
                next_class=promoted, leaves=leaves,
                activity_ids=[] if leaves else sorted(current[child.id])))
        db.session.flush()
        return campaign

    def progress(self):
        """Families: how many, how many answered, how many validated."""
        by_family = {}
        for answer in self.answers:
            by_family.setdefault(answer.family_id, []).append(answer.status)
        families = len(by_family)
        answered = sum(all(s != PROPOSED for s in statuses) for statuses in by_family.values())
        validated = sum(all(s == VALIDATED for s in statuses)
                        for statuses in by_family.values())
        return {"families": families, "answered": answered, "validated": validated,
                "unanswered": families - answered}

    def families(self):
        """(family, its answers) sorted by family name."""
        answers = db.session.scalars(
            select(ChildAnswer).where(ChildAnswer.campaign_id == self.id)
            .options(selectinload(ChildAnswer.child), selectinload(ChildAnswer.family)
                     .selectinload(Family.guardians))).all()
        grouped = {}
        for answer in answers:
            grouped.setdefault(answer.family, []).append(answer)
        return sorted(((f, sorted(a, key=lambda x: x.child.first_name))
                       for f, a in grouped.items()), key=lambda pair: (pair[0].name, pair[0].id))

    def answers_of(self, family_id):
        return sorted((a for a in self.answers if a.family_id == family_id),
                      key=lambda a: (a.child.birth_date or date.min, a.child_id))

    def unanswered_family_ids(self):
        return sorted({a.family_id for a in self.answers if a.status == PROPOSED})

    def validate_family(self, family_id, by, today):
        """Make next year's enrollments of a family's children what they answered (a
        child who leaves is enrolled in nothing; an answer not given is validated as
        proposed). Returns how many enrollments were created. The children move to
        their new class on the first day of that school year (see
        apply_due_promotions): until then this year's roll calls keep their class."""
        created = 0
        for answer in self.answers_of(family_id):
            if answer.status == VALIDATED:
                continue
            wanted = set(answer.activity_ids or [])
            existing = {a for (_c, a, _y) in Enrollment.keys_for(
                [answer.child_id], [self.school_year], even_not_open=True)}
            for activity_id in wanted - existing:
                db.session.add(Enrollment(child_id=answer.child_id, activity_id=activity_id,
                                          school_year=self.school_year))
                created += 1
            # Enrolled beforehand (by hand) in what the family no longer wants: its
            # cells of that year are released, as for any withdrawal.
            Enrollment.withdraw(answer.child_id, existing - wanted, self.school_year, today)
            answer.status = VALIDATED
            answer.validated_at = utcnow()
            answer.validated_by_id = by.id
        db.session.flush()
        apply_due_promotions(today)
        return created


def apply_due_promotions(today):
    """Give the children of validated answers their new class once the school year
    they were re-enrolled for has begun. Returns how many children moved."""
    due = db.session.scalars(
        select(ChildAnswer).join(Campaign, Campaign.id == ChildAnswer.campaign_id)
        .where(ChildAnswer.status == VALIDATED, ChildAnswer.promoted_at.is_(None),
               Campaign.school_year <= school_year_of(today))
        .options(selectinload(ChildAnswer.child))).all()
    now = utcnow()
    for answer in due:
        answer.child.class_name = answer.next_class
        answer.promoted_at = now
    return len(due)


class ChildAnswer(db.Model):
    """What is proposed to, then answered for, one child in a campaign."""
    __tablename__ = "reenrollment_answers"
    __table_args__ = (UniqueConstraint("campaign_id", "child_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("reenrollment_campaigns.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id", ondelete="CASCADE"),
                                           index=True)
    current_class: Mapped[str] = mapped_column(String(40), default="")
    next_class: Mapped[str] = mapped_column(String(40), default="")
    leaves: Mapped[bool] = mapped_column(Boolean, default=False)
    activity_ids: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default=PROPOSED)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    validated_at: Mapped[datetime | None] = mapped_column(DateTime)
    validated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # When the child was given next_class (the first day of that school year).
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime)

    campaign = relationship("Campaign", back_populates="answers")
    child = relationship("Child")
    family = relationship("Family")

    def answer(self, activity_ids, offered_ids, by):
        """The family's answer for this child: the activities it keeps or chooses among
        those offered. Returns False when it can no longer be changed (validated)."""
        if self.status == VALIDATED:
            return False
        self.activity_ids = [] if self.leaves else sorted(set(activity_ids) & set(offered_ids))
        self.status = CONFIRMED
        self.answered_at = utcnow()
        self.answered_by_id = by.id
        return True


def open_school_years(school_years, today):
    """The school years whose days can be booked today: the current one and those
    before, always; a later one from the date its campaign set (no campaign: as soon as
    it has enrollments, as before campaigns existed)."""
    this_year = school_year_of(today)
    later = {year for year in school_years if year > this_year}
    if not later:
        return list(school_years)
    closed = set(db.session.scalars(select(Campaign.school_year).where(
        Campaign.school_year.in_(later), Campaign.planning_opens_on > today)))
    return [year for year in school_years if year not in closed]


Enrollment.bookable_years = staticmethod(open_school_years)
