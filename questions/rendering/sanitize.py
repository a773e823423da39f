"""The allow-list nh3 enforces on rendered Markdown, a second line of defence behind escaping
raw HTML: no scripts, no event handlers, no `hx-*` attributes, links only to http, https and
mailto."""

import re

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
SAFE_URL_PREFIXES = ("http://", "https://", "mailto:")
# Pygments' short token classes (k, nf, s2, ...) and the wrapper; nothing that could borrow
# the app's own classes (buttons, alerts) to spoof its interface.
SAFE_CLASS_RE = re.compile(r"^(?:codehilite|[a-z]{1,3}[0-9]?|language-[a-z0-9+-]{1,20})$")
_CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "href":
        normalised = _CONTROL_AND_SPACE.sub("", value).lower()
        return value if normalised.startswith(SAFE_URL_PREFIXES) else None
    if name == "class":
        kept = [c for c in value.split() if SAFE_CLASS_RE.match(c)]
        return " ".join(kept) or None
    return value


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
