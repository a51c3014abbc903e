"""Several requests read as one, for the email of a batch (models/email_batches.py)."""
from dataclasses import dataclass

from models.requests import LineGroup


@dataclass
class Bundle:
    """The requests an email is about, read as one request: their lines grouped by child
    and activity (models/requests.py LineGroup), whatever request each came from."""
    requests: list

    @property
    def count(self):
        return len(self.requests)

    @property
    def action(self):
        actions = {r.action for r in self.requests}
        return actions.pop() if len(actions) == 1 else None

    @property
    def submitted_at(self):
        return self.requests[0].submitted_at

    @property
    def lines(self):
        return [line for r in self.requests for line in r.lines]

    @property
    def mixed(self):
        """Reservations and absences together: each line says which it is."""
        return self.action is None

    def line_groups(self):
        groups = {}
        for line in self.lines:
            groups.setdefault((line.child, line.activity), []).append(line)
        return [LineGroup(child, activity, sorted(lines, key=lambda line: line.day))
                for (child, activity), lines in sorted(
                    groups.items(), key=lambda item: (item[0][0].first_name, item[0][1].id))]
