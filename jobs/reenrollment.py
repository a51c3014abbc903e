"""Re-enrollment jobs: reminders (every guardian with an account of a family that has
not answered gets one email per round staff start), and the children's move to their
new class on the first day of the school year (a sweeper)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from jobs import enqueue_after_commit, job
from jobs.emails import external_url, queue_email
from jobs.sweep import sweeper
from models import Campaign, ChildAnswer, Family, Town
from models.calendar import school_year_label
from models.clock import paris_today, utcnow
from models.db_tools import begin_write
from models.reenrollment import PROPOSED, apply_due_promotions


def start_reminders(campaign, by):
    """Enqueue a reminder round after the commit; returns the round's number (the
    emails of one round are sent once, however often the job runs)."""
    round_number = int(utcnow().timestamp())
    enqueue_after_commit(remind_unanswered, campaign.id, round_number,
                         job_id=f"reenrollment-reminders-{campaign.id}-{round_number}")
    return round_number


@job
def remind_unanswered(campaign_id, round_number):
    begin_write()
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        return 0
    town = Town.current()
    waiting = db.session.scalars(select(ChildAnswer).where(
        ChildAnswer.campaign_id == campaign_id, ChildAnswer.status == PROPOSED)).all()
    family_ids = sorted({answer.family_id for answer in waiting})
    sent = 0
    for family in db.session.scalars(select(Family).where(Family.id.in_(family_ids))):
        for guardian in family.guardians:
            user = guardian.user
            if user is None or not user.is_confirmed:
                continue
            email = queue_email(
                user.email, "reenrollment_reminder", _l("Réinscriptions : votre réponse est "
                                                         "attendue"),
                dedupe_key=f"reenrollment-{campaign_id}-{round_number}-user-{user.id}",
                user=user, town=town, campaign=campaign,
                year_label=school_year_label(campaign.school_year),
                url=external_url("family.reenrollment"))
            sent += email is not None
    now = utcnow()
    for answer in waiting:
        answer.reminded_at = now
    db.session.commit()
    return sent


@sweeper
def apply_class_promotions(_now):
    """On the first day of a school year, re-enrolled children move to their new class."""
    begin_write()
    moved = apply_due_promotions(paris_today())
    db.session.commit()
    return moved
