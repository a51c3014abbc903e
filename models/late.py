"""Late requests: what a line asked after its deadline gets, per activity and action.

The one place that decides it: the planning cell (what a late tap would do, said
before the tap), the job (models/requests.py `_decide_lines`), the long-period preview
(models/period.py), billing (models/billing.py: a late reservation accepted with a
surcharge is billed at the surcharged price, a late cancellation accepted stays billed)
and the rules page all ask `late_rule`.

- REFUSE: refused as late (the historical rule, the default).
- SURCHARGE: accepted; a late reservation is billed with the surcharge of the billing
  rules (BillingSettings.late_*), a late cancellation is billed as if reserved (« toute
  annulation hors délai est facturée »).
- STAFF: submitted to the staff, who accept or refuse it from their queue
  (models/late_queue.py); the family gets the decision email then.

A late line is possible until the activity starts that day; later, it is refused
whatever the policy: nobody reserves or cancels a day under way.
"""
from datetime import datetime

from models.clock import paris_to_utc
from models.planning import ABSENCE, RESERVE

REFUSE = "refused"
SURCHARGE = "surcharge"
STAFF = "staff"
POLICIES = (REFUSE, SURCHARGE, STAFF)
# A line's outcome while the staff has not decided it (models/requests.py outcomes).
SUBMITTED = "submitted"


def policy_for(activity, action):
    """The activity's policy for late lines of this action (reserve or absence)."""
    if action == RESERVE:
        policy = activity.late_reserve_policy
    elif action == ABSENCE:
        policy = activity.late_cancel_policy
    else:
        return REFUSE
    return policy if policy in POLICIES else REFUSE


def last_moment(activity, day):
    """Until when a late line can be accepted: the activity's start that day (naive UTC)."""
    return paris_to_utc(datetime.combine(day, activity.start_time))


def after_deadline(activity, day, action, at):
    """What a line asked at `at`, known to be past its deadline, gets."""
    if at >= last_moment(activity, day):
        return REFUSE
    return policy_for(activity, action)


def late_rule(activity, day, action, at, zone=None):
    """None when a line of `action` asked at `at` is in time; else what the late line
    gets: REFUSE, SURCHARGE or STAFF."""
    if action not in (RESERVE, ABSENCE) or activity.is_in_time(day, at, action, zone):
        return None
    return after_deadline(activity, day, action, at)
