"""Agenda and notifications, on Mon compte: a guardian's secret calendar feed, the
evening-before deadline reminder, and Web Push on their devices (the manifest and the
service worker that make the portal installable).

Two blueprints: `bp`, the guardian's settings (logged-in parents, CSRF on every form),
and `public_bp`, what needs no login: the feed itself (its token is the credential) and
the manifest and worker a browser fetches on its own.
"""
from blueprints.notifications.views import bp, public_bp

__all__ = ["bp", "public_bp"]
