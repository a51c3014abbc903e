"""The staff area (agents and admins): one module per part of the work."""
# Each module registers its routes on the area's blueprint.
from blueprints.admin import (  # noqa: F401
    accessibility,
    activities,
    audit,
    billing,
    changes,
    dashboard,
    documents,
    exports,
    families,
    file,
    messages,
    news,
    pages,
    requests,
    rollcall,
    staff,
    tariffs,
    tasks,
)
from blueprints.admin.blueprint import bp  # noqa: F401  (registered by the app factory)
