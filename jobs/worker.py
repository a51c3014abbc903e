"""The worker class for `rq worker -w jobs.worker.Worker`.

It builds the Flask app once in the parent process, so each forked work horse starts
with it ready; database connections are not shared across the fork.
"""
import os

from rq import Worker as RQWorker
from rq.serializers import JSONSerializer

from app import create_app
from extensions import db
from jobs import use_app


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        kwargs["serializer"] = JSONSerializer
        super().__init__(*args, **kwargs)
        app = create_app()
        use_app(app)
        with app.app_context():
            engine = db.engine
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
