"""LaTeX in Markdown becomes MathML when saved (questions/rendering/math.py): what is math and
what is not, unreadable formulas, bounds, and hostile LaTeX through the nh3 allow-list."""

import pytest
from django.urls import reverse

from questions.rendering import ALLOWED_TAGS, render_markdown
from questions.rendering import math as math_rendering
from questions.rendering.sanitize import MATHML_ATTRIBUTES, MATHML_TAGS
from tests.factories import seed_loop
from tests.test_rendering import parsed


def test_inline_and_display_formulas_become_mathml():
    html = render_markdown("The loss is $L = -\\sum_i y_i \\log p_i$ per batch.")
    assert html.startswith('<p>The loss is <math display="inline">')
    assert "<msub><mi>y</mi><mi>i</mi></msub>" in html and "per batch.</p>" in html
    html = render_markdown("Softmax:\n\n$$\n\\sigma(z)_i = \\frac{e^{z_i}}{\\sum_j e^{z_j}}\n$$")
    assert '<math display="block">' in html and "<mfrac>" in html


def test_underscores_and_stars_inside_a_formula_are_not_emphasis():
    html = render_markdown("$a_i * b_j$ and $c_k * d_l$")
    assert "<em>" not in html and html.count("<math") == 2


@pytest.mark.parametrize(
    "text",
    [
        "A false alarm costs about $5, a missed fraud $100.",
        "Prices: $5 or $10",  # a closing $ must not be followed by a digit
        "Under $200 or so, about $ 30",
        "In code: `x = $y$` stays code.",
        "```python\nprice = '$5 and $6'\n```",
        "Escaped: \\$x\\$ is not math.",
    ],
)
def test_dollar_signs_that_are_not_math_stay_text(text):
    html = render_markdown(text)
    assert "<math" not in html
    assert "$" in html


def test_an_unreadable_formula_shows_as_code_and_the_preview_says_why():
    html = render_markdown("Broken: $x^$ and fine: $y$.")
    assert '<code class="math-error">$x^$</code>' in html and html.count("<math") == 1
    problems = math_rendering.problems("Broken: $x^$ and $$y_$$, code `$x^$` is fine.")
    assert [p.split(" could not")[0] for p in problems] == [
        "The formula $$y_$$",
        "The formula $x^$",
    ]
    assert all(p.endswith("it is shown as code.") for p in problems)
    assert math_rendering.problems("no $math$ problems, and $5 prices") == []


def test_formulas_beyond_the_bounds_are_left_as_written(monkeypatch):
    monkeypatch.setattr(math_rendering, "MAX_FORMULAS", 3)
    html = render_markdown(" ".join(["$x$"] * 5))
    assert html.count("<math") == 3 and html.count("$x$") == 2
    long = "$" + "a" * (math_rendering.MAX_FORMULA_CHARS + 10) + "$"
    assert "<math" not in render_markdown(long)
    monkeypatch.setattr(math_rendering, "MAX_FORMULAS", 300)
    per_text = math_rendering.MAX_FORMULA_CHARS_PER_TEXT
    many = " ".join(["$" + "b" * 998 + "$"] * (per_text // 1000 + 2))
    assert render_markdown(many).count("<math") == per_text // 1000


def test_deep_nesting_is_an_unreadable_formula_not_a_crash():
    html = render_markdown("$" + "{" * 990 + "x" + "}" * 990 + "$")
    assert "<math" in html or "math-error" in html


HOSTILE_LATEX = [
    "$\\href{javascript:alert(1)}{x}$",
    "$\\href{https://evil.example}{click}$",
    "$\\text{<script>alert(1)</script>}$",
    '$\\text{"><img src=x onerror=alert(1)>}$',
    '$\\mathrm{x" onmouseover="alert(1)}$',
    "$\\color{red}{x}$",
    "$\\style{background:url(javascript:alert(1))}{x}$",
    "$\\operatorname{<svg onload=alert(1)>}$",
    "$\\unicode{x3c}script\\unicode{x3e}alert(1)$",
    "$$\\begin{array}{c} x \\\\ \\text{<iframe src=//evil>} \\end{array}$$",
    '$x$<math><semantics><annotation-xml encoding="text/html"><img src=x onerror=alert(1)>'
    "</annotation-xml></semantics></math>",
    '<math xmlns:xlink="http://www.w3.org/1999/xlink"><mi xlink:href="javascript:alert(1)">x</mi>'
    "</math>",
    "$\\mathbb{R}^{\\text{</math><img src=x onerror=alert(1)>}}$",
    "$x \\: \\; \\quad y \\hspace{10cm} z$",
]


@pytest.mark.parametrize("payload", HOSTILE_LATEX)
def test_hostile_latex_yields_only_presentation_mathml(payload):
    result = parsed(payload)
    allowed_attributes = {"href", "title", "class", "rel", "start", "align"}
    for attributes in MATHML_ATTRIBUTES.values():
        allowed_attributes |= attributes
    for tag, attrs in result.elements:
        assert tag in ALLOWED_TAGS, tag
        assert tag not in {"semantics", "annotation", "annotation-xml", "maction", "mglyph"}, tag
        for name, value in attrs.items():
            assert name in allowed_attributes, (tag, name)
            assert not name.startswith(("on", "xlink", "xmlns", "hx-", "data-")), name
            if tag in MATHML_TAGS:
                assert "(" not in value and ":" not in value and "<" not in value, value
            if name == "href":
                assert value.startswith(("http://", "https://", "mailto:")), value
    assert "alert(1)" not in "".join(
        value for _, attrs in result.elements for value in attrs.values()
    )


def test_the_authoring_preview_lists_unreadable_formulas(alice_client):
    seed_loop()
    response = alice_client.post(
        reverse("questions:my_preview"),
        {"title": "Math", "kind": "flashcard", "prompt": "What is $x^$?", "answer": "$x^2$"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "could not be read" in html and "$x^$" in html
    assert '<math display="inline">' in html  # the answer's formula renders


def test_environments_and_commands_the_converter_draws_wrongly_are_rewritten():
    html = render_markdown("$$\n\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\n$$")
    assert "<mtable" in html and "&amp;" not in html
    html = render_markdown("$\\arg\\max_x f(x)$")
    assert "\\arg" not in html and ">arg<" in html


def test_an_unknown_command_is_reported_not_drawn_as_its_name():
    html = render_markdown("$\\notacommand{x}$")
    assert "math-error" in html
    assert "unknown command \\notacommand" in math_rendering.problems("$\\notacommand{x}$")[0]
