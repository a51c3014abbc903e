"""Text the staff write in Markdown (news, Infos diverses), shown as sanitised HTML.

Markdown lets raw HTML through, so its output goes through nh3 (the Ammonia sanitiser):
only plain formatting tags survive, links keep http(s), mailto and tel targets only,
and no script, style, event handler or iframe can reach a family's page.
"""
import markdown
import nh3
from markupsafe import Markup

TAGS = {"p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li", "blockquote",
        "h2", "h3", "h4", "a", "hr", "code", "pre", "table", "thead", "tbody", "tr", "th",
        "td"}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(text):
    html = markdown.markdown(text or "", extensions=["sane_lists", "tables"],
                             extension_configs={"tables": {"use_align_attribute": True}},
                             output_format="html")
    # The page around the text has its own h1: "# Title" becomes a section heading.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704  (sanitised by nh3 just above)
