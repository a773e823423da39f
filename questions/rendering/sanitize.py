"""The allow-list nh3 enforces on rendered Markdown, a second line of defence behind escaping
raw HTML: no scripts, no event handlers, no `hx-*` attributes, links only to http, https and
mailto; formulas only as presentation MathML (no links, no `xlink:*`, no `<semantics>` or
`<annotation-xml>`, which could carry HTML)."""

import re

import nh3

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
# Presentation MathML as latex2mathml writes it (questions/rendering/math.py).
MATHML_TAGS = {
    "math", "menclose", "merror", "mfrac", "mi", "mn", "mo", "mover", "mpadded", "mphantom",
    "mroot", "mrow", "ms", "mspace", "msqrt", "mstyle", "msub", "msubsup", "msup", "mtable",
    "mtd", "mtext", "mtr", "munder", "munderover",
}  # fmt: skip
_MATH_VARIANT = {"mathvariant"}
MATHML_ATTRIBUTES = {
    "math": {"display"},
    "mi": _MATH_VARIANT, "mn": _MATH_VARIANT, "mtext": _MATH_VARIANT, "ms": _MATH_VARIANT,
    "mo": {
        "fence", "form", "largeop", "lspace", "maxsize", "minsize", "movablelimits", "rspace",
        "separator", "stretchy", "symmetric", "mathvariant",
    },
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mfrac": {"linethickness"},
    "mspace": {"width", "height", "depth"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "munderover": {"accent", "accentunder"},
    "mtable": {"columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines"},
    "mtr": {"columnalign", "rowalign"},
    "mtd": {"columnalign", "rowalign", "columnspan", "rowspan"},
    "menclose": {"notation"},
}  # fmt: skip
# MathML attribute values are keywords, lengths and numbers: nothing that could hold a URL.
_MATHML_VALUE_RE = re.compile(r"^[\w .%+-]{0,40}$")
ALLOWED_TAGS |= MATHML_TAGS
ALLOWED_ATTRIBUTES = {
    **MATHML_ATTRIBUTES,
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
SAFE_CLASS_RE = re.compile(
    r"^(?:codehilite|math-error|[a-z]{1,3}[0-9]?|language-[a-z0-9+-]{1,20})$"
)
_CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "href":
        normalised = _CONTROL_AND_SPACE.sub("", value).lower()
        return value if normalised.startswith(SAFE_URL_PREFIXES) else None
    if name == "class":
        kept = [c for c in value.split() if SAFE_CLASS_RE.match(c)]
        return " ".join(kept) or None
    if tag in MATHML_TAGS:
        return value if _MATHML_VALUE_RE.match(value) else None
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
