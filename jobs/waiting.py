"""Telling families a waiting list gave them a place (models/waiting.py)."""
from flask_babel import lazy_gettext as _l

from jobs.emails import external_url, queue_email


def tell_promoted(bookings):
    """One email per family and guardian with a confirmed account, listing its cells
    promoted; deduplicated per cell so a job run twice sends it once."""
    by_family = {}
    for booking in bookings:
        by_family.setdefault(booking.child.family, []).append(booking)
    for family, promoted in by_family.items():
        key = "-".join(f"{b.id}.{b.updated_at:%Y%m%d%H%M%S%f}"
                       for b in sorted(promoted, key=lambda b: b.id))
        for guardian in family.guardians:
            user = guardian.user
            if user is None or not user.is_confirmed:
                continue
            queue_email(user.email, "waiting_promoted", _l("Une place s'est libérée"),
                        dedupe_key=f"promoted-{key}-{user.id}", user=user, bookings=promoted,
                        planning_url=external_url("planning.index"))
