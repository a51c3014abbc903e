"""Activités: the planning, its taps, the long-period form and Mes demandes."""
from blueprints.planning import illness, long_period, views  # noqa: F401  (their routes)
from blueprints.planning.blueprint import bp  # noqa: F401  (registered by the app factory)
