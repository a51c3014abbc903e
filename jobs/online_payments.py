"""Online payments never notified: the sweep marks them expired once their backend's
limit has passed (models/online_payment.EXPIRY), so the parent's page and the staff
list stop saying "en attente". A notification that still comes later is recorded all
the same: the money was taken."""
from extensions import db
from jobs.sweep import sweeper
from models.db_tools import begin_write
from models.online_payment import expire_stale


@sweeper
def expire_online_transactions(now):
    begin_write()
    expired = expire_stale(now)
    db.session.commit()
    return expired
