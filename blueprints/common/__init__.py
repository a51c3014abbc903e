"""The shared kit of the areas: page rendering and errors, the form vocabulary and
fields, words and dates, files and rich text, PDFs, the home counters, the family file
shared by parents and staff. Every template filter and global is registered here, once,
from the app factory: an email rendered by a job needs no area registered."""
from flask import current_app
from flask_babel import get_locale

from blueprints.common import dates, family_display, invoices, outages
from blueprints.common.documents import document_kind
from blueprints.common.files import file_size
from blueprints.common.pages import (
    ERRORS,
    PARENT_NAV,
    current_town,
    error_handler,
    fixed_url,
    wants_fragment,
)
from blueprints.common.regie import correction_reason
from blueprints.common.rich_text import render_markdown
from blueprints.common.words import (
    deadline_kinds,
    late_outcome_words,
    late_policies,
    late_policy_in_words,
    late_tap_words,
    minutes_left_words,
    planning_words,
    reasons,
    states,
    surcharge_in_words,
)


def init_app(app):
    for status in ERRORS:
        # If the page itself cannot be rendered (the database is down), a static one.
        app.register_error_handler(status, outages.safely(error_handler(status),
                                                          ERRORS[status], status))
    outages.init_app(app)
    app.jinja_env.filters.update(
        day_in_words=dates.day_in_words, moment_in_words=dates.moment_in_words,
        short_day=dates.short_day, upper_first=dates.upper_first,
        formal_name=dates.formal_name, markdown=render_markdown, filesize=file_size,
        document_kind=document_kind, correction_reason=correction_reason, **invoices.FILTERS)
    app.jinja_env.globals.update(
        period_in_words=dates.period_in_words, request_phrase=dates.request_phrase,
        planning_words=planning_words, is_fragment=wants_fragment, states=states,
        fixed_url=fixed_url,
        reasons=reasons, deadline_kinds=deadline_kinds, late_policies=late_policies,
        late_tap_words=late_tap_words, late_outcome_words=late_outcome_words,
        minutes_left_words=minutes_left_words,
        late_policy_in_words=late_policy_in_words, surcharge_in_words=surcharge_in_words,
        **family_display.TEMPLATE_GLOBALS)
    app.extensions["babel"].instance.date_formats.update(dates.DATE_FORMATS)

    @app.context_processor
    def portal_context():
        views = current_app.view_functions  # a context-local lookup: once, not per entry
        return {
            "town": current_town(),
            "current_locale": str(get_locale()),
            "parent_nav": [(endpoint, label) for endpoint, label in PARENT_NAV
                           if endpoint in views],
        }
