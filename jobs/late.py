"""Telling a family what the staff decided about a late line (models/late_queue.py)."""
from flask_babel import lazy_gettext as _l

from jobs.emails import external_url, queue_email

SUBJECTS = {True: _l("Demande hors délai acceptée"), False: _l("Demande hors délai refusée")}


def tell_late_decision(line):
    """One email per recipient of the request, deduplicated per line: a decision is
    emailed once, even if the page is sent twice."""
    for user in line.request.recipients():
        queue_email(user.email, "late_decided", SUBJECTS[line.accepted],
                    dedupe_key=f"late-decided-{line.id}-{user.id}", urgent=True, user=user,
                    line=line, requests_url=external_url("planning.requests"))
