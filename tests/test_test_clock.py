"""PORTAIL_TEST_TODAY: the suite, its web servers and its workers live on another day."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINT_TODAY = "from app import create_app; create_app(); " \
              "from models.clock import paris_today; print(paris_today())"


def today_in_a_new_process(**env):
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("PORTAIL_TEST_")}
    environment.update(env)
    result = subprocess.run([sys.executable, "-c", PRINT_TODAY], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def test_a_process_started_by_the_tests_lives_on_the_chosen_day():
    assert today_in_a_new_process(PORTAIL_ENV="testing",
                                  PORTAIL_TEST_TODAY="2027-03-28") == "2027-03-28"
    assert today_in_a_new_process(PORTAIL_ENV="testing",
                                  PORTAIL_TEST_TODAY="2027-07-20T23:30") == "2027-07-20"


def test_the_chosen_day_is_ignored_outside_tests():
    from datetime import UTC, datetime

    from models.clock import to_paris
    real = str(to_paris(datetime.now(UTC).replace(tzinfo=None)).date())
    printed = today_in_a_new_process(PORTAIL_ENV="production", PORTAIL_TEST_TODAY="1999-01-01",
                                     SECRET_KEY="x" * 40, SUBSCRIBER_CODE_KEY="y" * 40)
    assert printed != "1999-01-01"
    if os.environ.get("PORTAIL_TEST_TODAY") is None:
        assert printed == real
