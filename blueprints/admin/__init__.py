"""The staff area (agents and admins): one module per part of the work."""
# Each module registers its routes on the area's blueprint.
from blueprints.admin import (  # noqa: F401
    activities,
    audit,
    billing,
    broadcasts,
    changes,
    dashboard,
    documents,
    exports,
    families,
    file,
    lists,
    messages,
    news,
    online_payments,
    pages,
    reconciliation,
    reenrollment,
    requests,
    rollcall,
    staff,
    tariffs,
    tasks,
)
from blueprints.admin.blueprint import bp  # noqa: F401  (registered by the app factory)
