"""The yardstick for throughput: a bare Flask endpoint answering a fragment of the size
of a planning cell, served by gunicorn exactly as the portal is."""
from flask import Flask

FRAGMENT = '<div class="cell cell--pending_reservation">' + "x" * 900 + "</div>"


def create_app():
    app = Flask(__name__)

    @app.route("/bare", methods=["GET", "POST"])
    def bare():
        return FRAGMENT

    return app
