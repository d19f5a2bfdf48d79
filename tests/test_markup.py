"""Formatting in card text: inline code, **emphasis** and fenced code blocks, as rendered."""

from __future__ import annotations

import re

from pygments.token import STANDARD_TYPES

from ankigen.markup import _ANKI_SYNTAX, blocks, code_html, text_html
from ankigen.notes import CSS
from tests.conftest import import_apkg, run

CARDS = """\
id: tech
title: Technical notes
deck: Tech
cards:
  - id: compose-file
    kind: term
    term: compose.yaml
    lint: {ignore: {AG101: "shows a whole code block in an answer"}}
    meaning: |-
      A **Compose** file, with `ports`:
      ```yaml
      services:
        web:
          image: "nginx"  # {{c1::not a cloze}} [sound:x.mp3]
          ports: ["8080:80"]
      ```
      then run it.
  - id: vagrantfile
    kind: cloze
    prompt: |-
      ```ruby
      Vagrant.configure("2") do |config|
        config.vm.box = "ubuntu/jammy64" # {{c1::hidden}}
      end
      ```
    items:
      - "**box**: the image"
      - "`a**b**`"
  - id: docker-run
    kind: command
    command: |-
      docker run -d **x**
      ```sh
      echo {{c1::y}}
      ```
    meaning: |-
      ```text
      [latex]x[/latex] if (a < 1 && c > 2)
      ```
"""


def test_code_blocks_are_highlighted_and_anki_syntax_in_them_stays_text(project, collection):
    (project / "cards" / "tech.yaml").write_text(CARDS, encoding="utf-8")
    code, _, err = run("build")
    assert (code, err) == (0, "")
    import_apkg(collection, project / "decks" / "tech.apkg")

    def answer(card_id_part: str) -> str:
        for cid in collection.find_cards(""):
            card = collection.get_card(cid)
            if card_id_part in card.note().fields[0] and card.ord == 0:
                return card.render_output().answer_text
        raise AssertionError(card_id_part)

    term = answer("compose.yaml")
    assert "A <strong>Compose</strong> file, with <code>ports</code>:" in term
    assert '<pre class="code"><span class="nt">services</span><span class="p">:</span>\n' in term
    assert '<span class="s">"nginx"</span>' in term
    # Anki renders the field: a cloze or sound tag inside the code is shown, not acted on.
    assert '<span class="c1"># {{c1::not a cloze}} [sound:x.mp3]</span>' in _decoded(term)
    assert "[anki:play" not in term and "cloze" not in term.replace("not a cloze", "")
    assert "</pre>then run it." in term

    cloze = collection.get_card(collection.find_cards("card:1 Vagrant")[0]).render_output()
    assert '<span class="k">do</span>' in cloze.question_text
    assert '<span class="s2">"ubuntu/jammy64"</span>' in _decoded(cloze.answer_text)
    # In a cloze note, a deletion in the code would be a card of its own: it stays text.
    assert '<span class="c1"># {{c1::hidden}}</span>' in _decoded(cloze.question_text)
    assert len(collection.find_cards("Vagrant")) == 2
    assert "<strong>box</strong>: the image" in cloze.answer_text
    assert "<code>a**b**</code>" in cloze.answer_text

    # A command stays exactly as typed: no emphasis, no code block.
    command = collection.get_card(collection.find_cards("docker")[0]).render_output()
    assert "docker run -d **x**<br>```sh<br>echo {{c1::y}}<br>```" in _decoded(
        command.question_text
    )
    meaning = answer("docker run")
    assert '<pre class="code">[latex]x[/latex] if (a &lt; 1 &amp;&amp; c &gt; 2)</pre>' in _decoded(
        meaning
    )


def _decoded(rendered: str) -> str:
    # The entities ankigen writes for braces and brackets, as a browser shows them.
    for entity, char in (("&#123;", "{"), ("&#125;", "}"), ("&#91;", "["), ("&#93;", "]")):
        rendered = rendered.replace(entity, char)
    return rendered


def test_fenced_blocks_split_the_text_in_order():
    text = "intro\n```yaml\na: 1\n\nb: 2\n```\nmiddle\n```\nplain\n```\n"
    assert blocks(text) == [
        (None, "intro"),
        ("yaml", "a: 1\n\nb: 2"),
        (None, "middle"),
        ("", "plain"),
        (None, ""),
    ]
    # A fence left open runs to the end of the text, as in CommonMark.
    assert blocks("a\n```sh\nls") == [(None, "a"), ("sh", "ls")]
    # Backticks inside a line are not a fence.
    assert blocks("say ```yaml here") == [(None, "say ```yaml here")]


def test_emphasis_is_double_asterisks_only():
    assert text_html("**yes** *no* _no_ a ** b **") == "<strong>yes</strong> *no* _no_ a ** b **"
    assert text_html("rm *.log **/tmp**") == "rm *.log <strong>/tmp</strong>"
    assert text_html("`**not**`") == "<code>**not**</code>"
    assert code_html("ls **/*.py") == "ls **/*.py"


def test_unknown_language_is_shown_plain():
    assert text_html("```nosuchlanguage\n<a> {{x}}\n```") == (
        '<pre class="code">&lt;a&gt; &#123;&#123;x&#125;&#125;</pre>'
    )


def test_text_without_markup_is_unchanged():
    assert text_html("plain text") == "plain text"
    assert text_html("a\nb") == "a<br>b"


AMPERSANDS = """\
id: amp
title: Ampersands
deck: Amp
cards:
  - id: amp-term
    kind: term
    term: AT&T
    meaning: x &lt; y
  - id: amp-command
    kind: command
    command: make && make install
    meaning: build, then install
"""


def test_an_ampersand_alone_is_escaped_and_shown_as_written(project, collection):
    # Text whose only special character is "&": an entity the user typed stays text.
    assert text_html("AT&T") == "AT&amp;T"
    assert text_html("x &lt; y") == "x &amp;lt; y"
    assert code_html("make && make install") == "make &amp;&amp; make install"
    (project / "cards" / "amp.yaml").write_text(AMPERSANDS, encoding="utf-8")
    assert run("build")[0] == 0
    import_apkg(collection, project / "decks" / "amp.apkg")
    shown = {}
    for note_id in collection.find_notes(""):
        output = collection.get_note(note_id).cards()[0].render_output()
        shown[note_id] = output.question_text + output.answer_text
    texts = "\n".join(shown.values())
    assert "AT&amp;T" in texts and "x &amp;lt; y" in texts
    assert "make &amp;&amp; make install" in texts


# --- colours of the highlighted code, light and night ---------------------------------


def _rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    rules = []
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (k.strip(), v.strip())
            for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d)
        )
        rules.append(([s.strip() for s in selectors.split(",")], declarations))
    return rules


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted([_luminance(a), _luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_highlight_colour_reads_at_4_5_to_1_in_light_and_night_mode():
    rules = _rules(CSS)
    modes = {"light": "", "nightMode": ".nightMode ", "night_mode": ".night_mode "}
    background = {}
    for mode, prefix in modes.items():
        block = [d for sels, d in rules if f"{prefix}pre.code" in sels]
        background[mode] = next(d["background"] for d in block if "background" in d)
        text = next(d["color"] for d in block if "color" in d)
        assert _contrast(text, background[mode]) >= 4.5, mode
    colours: dict[tuple[str, str], str] = {}
    for selectors, declarations in rules:
        for selector in selectors:
            match = re.fullmatch(r"(\.nightMode |\.night_mode |)pre\.code \.([\w-]+)", selector)
            if match and "color" in declarations:
                mode = match.group(1).strip(" .") or "light"
                colours[mode, match.group(2)] = declarations["color"]
    token_classes = {c for c in STANDARD_TYPES.values() if c}
    coloured = {cls for mode, cls in colours if mode == "light"}
    assert len(coloured) > 40
    for mode in modes:
        # Every class coloured in light mode has its own night colour (else it would keep the
        # dark light-mode colour on the dark background).
        assert {cls for m, cls in colours if m == mode} == coloured, mode
        for cls in coloured:
            assert cls in token_classes
            ratio = _contrast(colours[mode, cls], background[mode])
            assert ratio >= 4.5, (mode, cls, colours[mode, cls], round(ratio, 2))


def test_blocks_highlighted_one_after_another_are_each_highlighted_as_alone():
    # One lexer per language and one formatter serve every block: each block must come
    # out as a fresh lexer and formatter make it.
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name

    written = [
        ("yaml", "a: 1\nb: [x, y]"),
        ("bash", "docker ps -a  # all"),
        ("yaml", "- c\n- 'd'"),
        ("python", "def f():\n    return {'k': 1}"),
        ("no-such-language", "a < b"),
        ("bash", 'echo "$HOME"'),
    ]
    for language, code in written:
        html = text_html(f"```{language}\n{code}\n```")
        try:
            lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False)
        except Exception:
            assert html == f'<pre class="code">{code.replace("<", "&lt;")}</pre>'
            continue
        fresh = highlight(code, lexer, HtmlFormatter(nowrap=True)).removesuffix("\n")
        fresh = fresh.translate(_ANKI_SYNTAX)
        assert html == f'<pre class="code">{fresh}</pre>', language
