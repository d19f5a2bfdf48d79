"""The progress line of `ankigen build`, seen as a person at a terminal sees it: stderr is a
real pseudo-terminal here, not a pipe that only claims to be one."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal needs POSIX")


def _build_on_a_terminal(project: Path, **env: str | None) -> tuple[int, bytes, bytes]:
    """`ankigen build` with stderr on a pseudo-terminal: its exit code, stdout, and what the
    terminal received."""
    import pty

    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "TERM": "xterm"}
    environment.pop("NO_COLOR", None)
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    master, slave = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "ankigen", "build"],
        cwd=project,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=slave,
    ) as process:
        os.close(slave)
        seen = b""
        while True:  # read as it comes: a full terminal buffer would block the build
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                process.kill()
                pytest.fail("the build wrote nothing for a minute")
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO on Linux: the build ended and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        stdout = process.stdout.read() if process.stdout else b""
        code = process.wait(60)
    os.close(master)
    return code, stdout, seen


def _sections(project: Path) -> None:
    for n in range(2):
        (project / "cards" / f"s{n}.yaml").write_text(
            f'id: s{n}\ntitle: S{n}\ndeck: "Test::S{n}"\ncards:\n'
            f"  - {{id: s{n}-term, kind: term, term: t{n}, meaning: m{n}}}\n",
            encoding="utf-8",
        )


def test_a_terminal_sees_the_progress_line_and_then_not(project: Path) -> None:
    _sections(project)
    code, stdout, seen = _build_on_a_terminal(project)
    assert code == 0
    assert b"\r\x1b[Kbuilding 1/2: cards/s0.yaml" in seen
    assert b"\r\x1b[Kbuilding 2/2: cards/s1.yaml" in seen
    assert seen.endswith(b"\r\x1b[K")  # the line is cleared before the report
    assert b"decks/s0.apkg" in stdout and b"building" not in stdout


@pytest.mark.parametrize(("name", "value"), [("NO_COLOR", "1"), ("NO_COLOR", ""), ("TERM", "dumb")])
def test_no_color_or_a_dumb_terminal_gets_no_progress_line(
    project: Path, name: str, value: str
) -> None:
    _sections(project)
    code, stdout, seen = _build_on_a_terminal(project, **{name: value})
    assert code == 0
    assert b"decks/s0.apkg" in stdout
    assert seen == b""  # no progress, no escape sequences: nothing else goes to stderr
