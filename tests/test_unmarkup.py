"""The way back from a field's HTML to card text: exact for what a build makes, faithful
for what Anki's editor writes, and a clear refusal for what a card cannot say."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ankigen.markup import blocks, code_html, text_html
from ankigen.unmarkup import Unsayable, command_of, read, text_of

# Text that exercises every rule of markup.py: its markers, what it escapes, line breaks,
# spaces (a bold run's edges), Japanese, and a no-break space (kept as written).
_CHARS = st.sampled_from(list("ab xy日本`*_<>&{}[]:\\#\n\t\xa0") + ["**", "``", "&amp;", "<b>"])
_PROSE = st.lists(_CHARS, max_size=14).map("".join)
_LANGUAGES = st.sampled_from(["", "yaml", "sh", "text", "python", "dockerfile", "nosuchlang"])
_FENCE = st.tuples(
    st.sampled_from(["", " ", "   "]), _LANGUAGES, st.sampled_from(["", " ", "\t"])
).map(lambda t: f"{t[0]}```{t[1]}{t[2]}" if t[1] else f"{t[0]}```{t[2]}")
_CLOSE = st.sampled_from(["```", " ```", "```  "])
_CODE = st.lists(
    st.sampled_from(list("ab :{}\"'<&#$\\-") + ["\n", "  ", "key: v", "**"]), max_size=12
)


@st.composite
def card_texts(draw: st.DrawFn) -> str:
    """Any text a card may hold: prose and fenced blocks, as it is once read (stripped)."""
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            parts.append(draw(_PROSE))
        else:
            code = "".join(draw(_CODE))
            parts.append(f"{draw(_FENCE)}\n{code}\n{draw(_CLOSE)}")
    if draw(st.booleans()):  # a fence left open runs to the end
        parts.append(f"{draw(_FENCE)}\n{''.join(draw(_CODE))}")
    return "\n".join(parts).strip()


@settings(max_examples=600, deadline=None)
@given(card_texts())
def test_text_back_is_the_text_for_any_card_text(text: str) -> None:
    assert text_of(text_html(text), was=text) == text


@settings(max_examples=300, deadline=None)
@given(_PROSE.map(str.strip))
def test_prose_comes_back_without_the_text_it_replaces(text: str) -> None:
    # Only a code block's fence lines are not in the HTML; prose needs nothing else.
    assume(all(language is None for language, _ in blocks(text)))
    assert text_of(text_html(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.lists(_CHARS, max_size=20).map("".join).map(str.strip))
def test_a_command_comes_back_as_typed(command: str) -> None:
    assert command_of(code_html(command)) == command


@pytest.mark.parametrize(
    ("field", "text"),
    [
        # What Anki's editor writes when a learner edits a field.
        ("コンテナを<b>停止</b>する", "コンテナを**停止**する"),
        ("a<strong> bold </strong>b", "a **bold** b"),  # the spaces move out of the stars
        ("one<br>two<br/>three<br />four", "one\ntwo\nthree\nfour"),
        ("first<div>second</div><div><br></div><div>fourth</div>", "first\nsecond\n\nfourth"),
        ("<div>only</div><div>lines</div>", "only\nlines"),
        ("x&nbsp; &nbsp;y&#160;z", "x   y z"),
        ("<code>docker ps</code> で一覧", "`docker ps` で一覧"),
        (
            "a &lt;b&gt; &amp; {{c1::x}} [sound:y.mp3] &quot;q&quot;",
            'a <b> & {{c1::x}} [sound:y.mp3] "q"',
        ),
        ("<span>plain span</span>", "plain span"),
        ("<b>a<br>b</b>", "**a**\n**b**"),
        ("line\r\nbroken in the HTML", "line broken in the HTML"),
        ("<b></b>empty bold", "empty bold"),
        ("<code>a<br>b</code>", "`a`\n`b`"),  # code over two lines: code on each
    ],
)
def test_what_ankis_editor_writes(field: str, text: str) -> None:
    assert text_of(field) == text
    # ... and the text makes what the field shows.
    assert read(text_html(text)) == read(field)


def test_a_code_block_keeps_the_fence_lines_it_had() -> None:
    was = "run:\n```sh\nls -l\n```\nthen"
    edited = 'run:<pre class="code">ls -la</pre>then'
    assert text_of(edited, was=was) == "run:\n```sh\nls -la\n```\nthen"
    # A block the learner added has a plain fence.
    assert text_of('x<pre class="code">a</pre>') == "x\n```\na\n```"


@pytest.mark.parametrize(
    ("field", "what"),
    [
        ("<i>italic</i>", "italics (<i>)"),
        ("<em>italic</em>", "italics (<em>)"),
        ("<u>under</u>", "underline (<u>)"),
        ('<span style="color: rgb(255, 0, 0);">red</span>', "a font, colour or size (<span>)"),
        ('<font color="#ff0000">red</font>', "a font or colour (<font>)"),
        ('<img src="paste-1.png">', "an image (<img>)"),
        ('<a href="https://x">link</a>', "a link (<a>)"),
        ("<ul><li>x</li></ul>", "a list (<ul>)"),
        ("H<sub>2</sub>O", "subscript (<sub>)"),
        ("<blink>x</blink>", "the HTML element <blink> (<blink>)"),
    ],
)
def test_what_a_card_cannot_say_is_refused_by_name(field: str, what: str) -> None:
    with pytest.raises(Unsayable, match=rf"^{__import__('re').escape(what)} cannot be written"):
        text_of(field)


@pytest.mark.parametrize(
    "field",
    [
        "**not bold** in Anki",  # stars typed in Anki would turn bold in a card file
        "a `tick` typed in Anki",
        "<b><code>x</code></b>",
        "<!-- a comment -->x",
    ],
)
def test_text_that_would_read_differently_is_refused(field: str) -> None:
    with pytest.raises(Unsayable):
        text_of(field)


def test_a_command_holds_no_formatting() -> None:
    assert command_of("docker&nbsp;ps&nbsp;-a<div>--all</div>") == "docker ps -a\n--all"
    with pytest.raises(Unsayable, match="a command is shown exactly as typed"):
        command_of("docker <b>ps</b>")
