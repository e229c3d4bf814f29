"""From a container spec to the command line its main process runs, and small parsers for it.

* :func:`container_env` and :func:`kubelet_expand`: ``$(VAR)`` references in ``env`` values,
  ``command`` and ``args`` are expanded by the kubelet from the container's ``env``, in order
  (``third_party/forked/golang/expansion/expand.go``: ``$$`` escapes, an undefined reference
  stays as written). Values from ``valueFrom``/``envFrom`` exist at run time but the
  simulator cannot see them: they become an :data:`UNRESOLVED` marker, and the app model says
  it cannot know rather than guess.
* :func:`effective_argv`: ``command`` replaces the image's ENTRYPOINT (and drops its CMD),
  ``args`` replaces its CMD.
* :func:`split_script`: the simple commands of a ``sh -c`` script, with ``&`` (background),
  pipes and ``while``/``until`` loops marked; enough shell to see what a one-liner starts.
  Command substitutions (``$(cat /etc/port)``, backquotes) are not run: they become
  :data:`UNRESOLVED` markers too.
* :func:`parse_flags`: Go ``flag`` and spf13 ``pflag`` (cobra) command lines, with their
  error messages.
"""

from __future__ import annotations

import re
import shlex

from grader.model.objects import Container
from grader.sim.apps.model import is_digits

__all__ = [
    "UNRESOLVED",
    "Command",
    "Flags",
    "container_env",
    "effective_argv",
    "kubelet_expand",
    "parse_flags",
    "shell_expand",
    "split_script",
    "unresolved",
    "unresolved_parts",
]

UNRESOLVED = "\x00"


def unresolved(text: str) -> str:
    """``text`` (``$(VAR)``, ``$(hostname)``) marked as a value only known at run time."""
    return UNRESOLVED + text + UNRESOLVED


def unresolved_parts(words: list[str]) -> list[str]:
    """The marked texts in ``words``, in order."""
    return [part for word in words for part in word.split(UNRESOLVED)[1::2]]
_OPERATORS = {";", "&&", "||", "|", "&", "(", ")", ";;", "|&"}
_KEYWORDS = {"do", "done", "then", "else", "elif", "fi", "{", "}", "!", "esac"}
_LOOP_OPEN = {"while", "until"}


def kubelet_expand(text: str, env: dict[str, str], unresolved_ok: bool = False) -> str:
    """Expand ``$(VAR)`` the way the kubelet does; ``$$`` is a literal ``$``.

    An undefined ``VAR`` stays ``$(VAR)``, unless ``unresolved_ok`` (the container has
    ``envFrom``), when it becomes the :data:`UNRESOLVED` marker.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(" and ")" in text[i + 2 :]:
            end = text.index(")", i + 2)
            name = text[i + 2 : end]
            if name in env:
                out.append(env[name])
            else:
                out.append(unresolved(f"$({name}) from envFrom") if unresolved_ok else f"$({name})")
            i = end + 1
        else:
            out.append("$" + nxt)
            i += 2
    return "".join(out)


def container_env(container: Container) -> dict[str, str]:
    """The container's environment, each value expanded against the variables before it."""
    env: dict[str, str] = {}
    from_elsewhere = container.env_from is not None
    for var in container.env:
        if var.value_from is not None:
            env[var.name] = unresolved(f"$({var.name}) from valueFrom")
        else:
            env[var.name] = kubelet_expand(var.value, env, from_elsewhere)
    return env


def effective_argv(
    entrypoint: tuple[str, ...], cmd: tuple[str, ...], container: Container, env: dict[str, str]
) -> list[str]:
    """The main process's argv: ``command`` replaces ENTRYPOINT+CMD, ``args`` replaces CMD."""
    unresolved_ok = container.env_from is not None
    command = [kubelet_expand(word, env, unresolved_ok) for word in container.command]
    args = [kubelet_expand(word, env, unresolved_ok) for word in container.args]
    if command:
        return command + args
    return list(entrypoint) + (args if container.args else list(cmd))


# --------------------------------------------------------------------------- shell


class Command:
    """One simple command of a shell script (a plain class: cheaper to define than a dataclass)."""

    __slots__ = ("words", "background", "piped", "loop", "assignments")

    def __init__(self, words: list[str], background: bool = False, piped: bool = False, loop: bool = False,
                 assignments: dict[str, str] | None = None) -> None:
        self.words, self.background, self.piped, self.loop = words, background, piped, loop
        self.assignments = {} if assignments is None else assignments


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def shell_expand(word: str, variables: dict[str, str]) -> str:
    """``$VAR``, ``${VAR}`` and ``${VAR:-default}`` as ``sh`` expands them (unset: empty)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = variables.get(name)
        op, default = match.group(2), match.group(3) or ""
        if op and (value is None or (op.startswith(":") and value == "")):
            return default
        return value or ""

    return _VAR.sub(one, word)


_PIECES = ("\n", "&&", "||", ";;", "|&", ">>", "&>", ">&", "<<", "<", ">", ";", "&", "|", "(", ")")


def _decompose(token: str) -> list[str]:
    """Split a run of punctuation (``)&``, ``;;``, ``2>&1``'s ``>&``) into shell operators."""
    if not token or not set(token) <= set(";&|()<>\n"):
        return [token]
    pieces: list[str] = []
    while token:
        piece = next(p for p in _PIECES if token.startswith(p))
        pieces.append(piece)
        token = token[len(piece) :]
    return pieces


_SUBSTITUTION = re.compile(r"\$\([^()]*\)|`[^`]*`")


def _tokens(script: str) -> list[str]:
    """Shell tokens; ``$(…)`` and backquotes become :func:`unresolved` markers (never run)."""
    found: list[str] = []

    def hide(match: re.Match[str]) -> str:
        found.append(match.group(0))
        return f"{UNRESOLVED}{len(found) - 1}{UNRESOLVED}"

    lexer = shlex.shlex(_SUBSTITUTION.sub(hide, script), posix=True, punctuation_chars=";&|()<>\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    pieces = [";" if piece == "\n" else piece for token in lexer for piece in _decompose(token)]
    if not found:
        return pieces
    marker = re.compile(f"{UNRESOLVED}(\\d+){UNRESOLVED}")
    return [marker.sub(lambda m: unresolved(found[int(m.group(1))]), piece) for piece in pieces]


def _is_redirect(token: str) -> bool:
    return token in (">>", "&>", ">&", "<<", "<", ">")


def _words_and_ops(tokens: list[str]) -> list[tuple[list[str], str]]:
    """Group tokens into (words, operator that ends them); redirections are dropped."""
    groups: list[tuple[list[str], str]] = []
    words: list[str] = []
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif _is_redirect(token):
            if words and is_digits(words[-1]):
                words.pop()
            skip = True
        elif token in _OPERATORS:
            groups.append((words, token))
            words = []
        else:
            words.append(token)
    groups.append((words, ""))
    return groups


def _strip_keywords(words: list[str], loops: list[bool]) -> list[str]:
    """Drop leading shell keywords, tracking open loops (True: ``while``/``until``)."""
    while words and words[0] in _KEYWORDS | _LOOP_OPEN | {"for", "case", "if"}:
        keyword = words.pop(0)
        if keyword in _LOOP_OPEN:
            loops.append(True)
        elif keyword == "for":
            loops.append(False)
            return []
        elif keyword == "case":
            return []
        elif keyword == "done" and loops:
            loops.pop()
    return words


def split_script(script: str, variables: dict[str, str]) -> list[Command]:
    """The simple commands of ``script`` in order (raises ValueError on a quoting error).

    Variable assignments before a command (``PORT=8080 cmd``) and on their own
    (``PORT=8080; cmd $PORT``) are applied; commands inside ``while``/``until`` bodies (and
    their conditions) are marked ``loop``. Branches of ``if`` are all taken.
    """
    variables = dict(variables)
    commands: list[Command] = []
    loops: list[bool] = []
    for words, op in _words_and_ops(_tokens(script)):
        words = _strip_keywords(words, loops)
        assignments: dict[str, str] = {}
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            assignments[name] = shell_expand(value, variables)
        if not words:
            variables.update(assignments)
            if commands and op == "&":
                commands[-1].background = True
            continue
        scope = {**variables, **assignments}
        expanded = [shell_expand(word, scope) for word in words]
        commands.append(Command(expanded, op == "&", op == "|", any(loops), assignments))
    return commands


# --------------------------------------------------------------------------- flags


class Flags:
    """A parsed command line: flag values by name, positional arguments, or an error text."""

    __slots__ = ("values", "positional", "error", "seen")

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.positional: list[str] = []
        self.error = ""
        self.seen: list[str] = []

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


def _bad_value(style: str, name: str, kind: str, value: str) -> str:
    if style == "go":
        return f'invalid value "{value}" for flag -{name}: parse error'
    func = "ParseBool" if kind == "bool" else "ParseInt"
    return f'invalid argument "{value}" for "--{name}" flag: strconv.{func}: parsing "{value}": invalid syntax'


def _valid(kind: str, value: str) -> bool:
    if kind == "int":
        return bool(re.fullmatch(r"[+-]?\d+", value))
    if kind == "bool":
        return value.lower() in ("1", "0", "t", "f", "true", "false")
    return True


def parse_flags(args: list[str], spec: dict[str, str], style: str = "pflag", ignore: tuple[str, ...] = ()) -> Flags:
    """Parse ``args`` against ``spec`` (flag name -> ``"int"``, ``"str"`` or ``"bool"``).

    ``style="go"`` is Go's ``flag`` package (``-x`` or ``--x``; parsing stops at the first
    positional argument); ``"pflag"`` is cobra's (``--x`` only, positionals anywhere).
    Flags named in ``ignore`` are accepted and dropped (agnhost's klog flags). Bool values
    are normalised to ``"true"``/``"false"``.
    """
    flags = Flags()
    dash = "-" if style == "go" else "--"
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            flags.positional.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            if style == "go":
                flags.positional.extend(args[i - 1 :])
                break
            flags.positional.append(arg)
            continue
        body = arg[2:] if arg.startswith("--") else arg[1:]
        if style == "pflag" and not arg.startswith("--"):
            flags.error = f"unknown shorthand flag: '{body[:1]}' in {arg}"
            return flags
        name, has_value, value = body.partition("=")
        if name in ignore:
            if not has_value and i < len(args) and not args[i].startswith("-") and name != "logtostderr":
                i += 1
            continue
        kind = spec.get(name)
        if kind is None:
            flags.error = f"flag provided but not defined: -{name}" if style == "go" else f"unknown flag: --{name}"
            return flags
        if kind == "bool" and not has_value:
            value = "true"
        elif not has_value:
            if i >= len(args):
                flags.error = f"flag needs an argument: {dash}{name}"
                return flags
            value = args[i]
            i += 1
        if not _valid(kind, value):
            flags.error = _bad_value(style, name, kind, value)
            return flags
        if kind == "bool":
            value = "true" if value.lower() in ("1", "t", "true") else "false"
        flags.values[name] = value
        flags.seen.append(name)
    return flags
