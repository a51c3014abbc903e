"""axe-core in the browser tests: loaded from tests/e2e's own npm install (`make test`
runs `npm ci` there), never from a CDN, and run on the page as it is."""
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, what RGAA 4.1 maps to, plus axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def violations(page, context=None):
    """axe's violations on the page (or inside the `context` CSS selector), as short
    readable lines: rule, impact and the first offending nodes."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `cd tests/e2e && npm ci` (make test does)")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the DevTools protocol, which the page's CSP (script-src 'self',
        # no inline script) does not govern; a <script> tag (add_script_tag) it would block.
        page.evaluate(AXE.read_text() + "\n;typeof window.axe")
    found = page.evaluate(
        "([context, tags]) => axe.run(context || document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => `${v.id} (${v.impact}): ` +"
        " v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')))",
        [context, TAGS])
    return found


def assert_accessible(page, context=None):
    found = violations(page, context)
    assert found == [], f"{page.url}: {found}"
