"""Every ``kports`` command the README shows works, with the exit code the README promises."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest

from grader import cli

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[tuple[str, int]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## The command line", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    env: dict[str, str] = {}
    commands = []
    for raw in block.splitlines():
        line, _, comment = raw.partition("  #")
        line = line.strip()
        if not line:
            continue
        assignment = re.fullmatch(r"([A-Z]+)=(\S+)", line)
        if assignment:
            env[assignment.group(1)] = assignment.group(2)
            continue
        for name, value in env.items():
            line = line.replace(f"${name}", value)
        code = int(m.group(1)) if (m := re.search(r"exit (\d+)", comment)) else 0
        commands.append((line, code))
    return commands


COMMANDS = _commands()


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("command, code", COMMANDS, ids=[c for c, _ in COMMANDS])
def test_readme_command_works(command, code, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)
    assert argv[0] in ("kports", "python")
    args = argv[1:] if argv[0] == "kports" else argv[3:]
    out, err = io.StringIO(), io.StringIO()
    try:
        got = cli.main(args, stdout=out, stderr=err)
    except SystemExit as exc:  # --help
        got = int(exc.code or 0)
    assert got == code, err.getvalue()
    if code == 0 and argv[0] == "kports":
        assert out.getvalue(), "a successful command printed nothing"
