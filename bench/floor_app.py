"""The portal's own floor: the portal with one more route, where a signed-in parent's
POST does nothing but what every request of the portal does (the session's load, the
signed cookie, the CSRF check, the headers) and answers the bare endpoint's fragment.
bench/planning.py serves the taps and the week page from this app too (the route changes
nothing else), and gives them as a ratio to it as well: what they cost beyond what any
signed-in request of this stack costs."""
from app import create_app as create_portal
from bench.bare_app import FRAGMENT
from security import parent_required


def create_app():
    app = create_portal()

    @app.post("/banc/rien")
    def nothing():
        refused = parent_required()  # as every parent's page: signed in, a guardian
        return refused or FRAGMENT

    return app
