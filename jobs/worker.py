"""The worker class for `rq worker -w jobs.worker.Worker`.

It builds the Flask app once in the parent process, so each forked work horse starts
with it ready; database connections are not shared across the fork.
"""
import os

from rq import SimpleWorker as RQSimpleWorker
from rq import Worker as RQWorker
from rq.serializers import JSONSerializer

from app import create_app
from extensions import db
from jobs import use_app


def _worker_app():
    """The app the jobs of this worker process run in, built once."""
    app = create_app()
    use_app(app)
    return app


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        kwargs["serializer"] = JSONSerializer
        super().__init__(*args, **kwargs)
        app = _worker_app()
        with app.app_context():
            engine = db.engine
        os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))


class SimpleWorker(RQSimpleWorker):
    """`-w jobs.worker.SimpleWorker`: runs each job in the worker process itself (no
    fork), with templates and translations already loaded: much faster per job, for
    small machines and the drills; a job that hangs then holds the worker."""

    def __init__(self, *args, **kwargs):
        kwargs["serializer"] = JSONSerializer
        super().__init__(*args, **kwargs)
        self.app = _worker_app()

    def execute_job(self, job, queue):
        with self.app.app_context():
            return super().execute_job(job, queue)
