"""Markdown rendering is safe (checked on the parsed HTML, not by substring) and highlights code."""

from html.parser import HTMLParser

import pytest

from questions.management.commands.pygmentscss import stylesheet_dir, stylesheets
from questions.rendering import ALLOWED_TAGS, render_code, render_markdown


class Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(markdown_text: str) -> Collector:
    collector = Collector()
    collector.feed(render_markdown(markdown_text))
    return collector


XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="x" onerror="alert(1)">',
    "<svg onload=alert(1)><circle r=10 /></svg>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](jav\tascript:alert(1))",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](  javascript:alert(1))",
    "[ref link][evil]\n\n[evil]: javascript:alert(1)",
    "[ref link][evil]\n\n[evil]: jav\tascript:alert(1)",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[vb](vbscript:msgbox(1))",
    '<div hx-get="/accounts/logout/" hx-trigger="load">x</div>',
    '<button hx-post="/x" hx-trigger="load">x</button>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<form action="https://evil.example"><input name=x></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '```python" onmouseover="alert(1)\nx = 1\n```',
    '```"><script>alert(1)</script>\nx = 1\n```',
    "```javascript:alert(1)\nx\n```",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<!-- <script>alert(1)</script> -->",
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "[x](/relative/path) [y](//evil.example/path)",
    '<span class="button message-success">spoof</span>',
]


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_xss_corpus_renders_harmlessly(payload):
    result = parsed(payload)
    for tag, attrs in result.elements:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), name
            assert not name.startswith("hx-") and not name.startswith("data-"), name
            assert name in {"href", "title", "class", "rel", "start", "align"}, name
            if name == "href":
                assert value.startswith(("http://", "https://", "mailto:")), value
            if name == "class":
                assert all(
                    c == "codehilite" or len(c) <= 4 or c.startswith("language-")
                    for c in value.split()
                )
                assert "button" not in value and "message" not in value


def test_raw_html_is_shown_as_text_not_dropped_silently():
    result = parsed("Use <b>bold</b> and <script>x</script>")
    assert ("b", {}) not in result.elements
    assert "<b>bold</b>" in "".join(result.text)


def test_allowed_links_keep_their_href_and_get_rel():
    result = parsed("[paper](https://arxiv.org/abs/1806.01973) [mail](mailto:a@b.c)")
    links = [attrs for tag, attrs in result.elements if tag == "a"]
    assert [link["href"] for link in links] == ["https://arxiv.org/abs/1806.01973", "mailto:a@b.c"]
    assert all("noopener" in link["rel"] for link in links)


def test_fenced_code_is_highlighted_with_pygments_classes():
    result = parsed("```python\ndef f(x):\n    return x + 1\n```")
    classes = {c for tag, attrs in result.elements for c in attrs.get("class", "").split()}
    assert "codehilite" in classes
    assert {"k", "nf"} <= classes  # keyword and function-name tokens


def test_unknown_language_falls_back_to_plain_text_without_guessing():
    result = parsed("```nosuchlanguage\nprint('hi')\n```")
    assert "print('hi')" in "".join(result.text)
    classes = {c for tag, attrs in result.elements for c in attrs.get("class", "").split()}
    assert "nf" not in classes and "k" not in classes


def test_tables_render():
    result = parsed("| a | b |\n|---|---|\n| 1 | 2 |")
    assert "table" in [tag for tag, _ in result.elements]


def test_render_code_highlights_sql_and_python():
    assert 'class="k"' in render_code("SELECT 1;", "sql")
    assert render_code("", "python") == ""


def test_oversized_markdown_is_refused():
    with pytest.raises(ValueError):
        render_markdown("x" * 60_000)


def test_committed_pygments_stylesheets_are_current():
    for name, css in stylesheets().items():
        assert (stylesheet_dir() / name).read_text() == css, f"run manage.py pygmentscss ({name})"


def test_list_directly_after_a_paragraph_is_a_list():
    result = parsed("Three causes:\n- one\n- two\n\n```text\nnot:\n- a list\n```")
    tags = [tag for tag, _ in result.elements]
    assert tags.count("li") == 2 and "ul" in tags
