"""Which program a command line runs, in which image, and what that program does.

:func:`run_program` strips wrappers (``tini --``, ``env VAR=1``, ``nohup``, the image's own
entrypoint script), finds the program by its base name among the ones the image ships, and
asks its recogniser. ``sh -c SCRIPT`` is read command by command (:func:`run_script`): a
server started in the background counts only if the script then keeps running (``wait``,
``sleep``, a foreground server, a ``while true`` loop); when the script ends, the container
ends with it.

What the simulator does not recognise it does not guess: ``known=False``. The exceptions are
the listening tools it knows an image lacks (``nc`` or ``python3`` in debian, BusyBox
``httpd`` in alpine) and any other program in an image with no shell (scratch or distroless:
http-echo, whoami, hello-app, pause): those fail with "not found" as they would, unless the
container mounts volumes (which could bring the program along).
"""

from __future__ import annotations

import itertools
import os
import re
from typing import Callable

from grader.sim.apps import agnhost, servers, tools
from grader.sim.apps.argv import split_script, unresolved_parts
from grader.sim.apps.images import ImageInfo
from grader.sim.apps.model import describe_listeners
from grader.sim.apps.run import Ctx, Run

__all__ = ["run_program", "run_script"]

Handler = Callable[[list[str], Ctx], Run]

SHELLS = frozenset({"sh", "bash", "ash", "zsh", "dash"})
QUICK = frozenset(
    """echo printf true false : ls env printenv mkdir cp mv rm touch date hostname id ip ifconfig
    wget curl apk apt-get apt yum dnf microdnf pip pip3 export set unset cd trap chmod chown ln sed grep
    awk tee nslookup dig host uname df du ps kill sync test [ pwd cut sort head wc stat find xargs tr
    basename dirname readlink realpath seq expr source . ulimit umask getent netstat ss mount umount
    whoami sysctl iptables openssl base64 md5sum sha256sum gzip tar unzip""".split()
)
LISTENING_TOOLS = ("nc", "netcat", "python", "httpd")
_ENTRYPOINT_SCRIPTS = ("docker-entrypoint.sh", "entrypoint.sh")
FAMILY_LABELS = {"nginx": "nginx", "nginx-unprivileged": "nginx", "httpd": "httpd", "mysql": "mysql",
                 "mariadb": "mariadb", "postgres": "postgres", "redis": "redis", "influxdb": "influxdb",
                 "http-echo": "http-echo", "whoami": "whoami", "hello-app": "hello-app", "agnhost": "agnhost"}
_FLAG_PROGRAMS = {"mysql": "mysqld", "mariadb": "mariadbd", "postgres": "postgres", "redis": "redis-server",
                  "influxdb": "influxd"}


# --------------------------------------------------------------------------- generic programs


def _sleep(argv: list[str], ctx: Ctx) -> Run:
    if len(argv) < 2:
        return Run.fails("sleep: missing operand")
    return Run([], holds=True, why=f"`{' '.join(argv)}` listens on nothing")


def _tail(argv: list[str], ctx: Ctx) -> Run:
    follow = any(a in ("-f", "-F") or a.startswith("--follow") or re.fullmatch(r"-[a-zA-Z]*[fF][a-zA-Z0-9]*", a)
                 for a in argv[1:])
    return Run([], holds=follow, why=f"`{' '.join(argv)}` listens on nothing")


def _reads_stdin(argv: list[str], ctx: Ctx) -> Run:
    files = [a for a in argv[1:] if not a.startswith("-")]
    waits = not files and ctx.stdin_text is None and ctx.container.stdin
    return Run([], holds=waits, why=f"`{' '.join(argv)}` listens on nothing")


def _forever(argv: list[str], ctx: Ctx) -> Run:
    holds = not (argv[0] == "ping" and any(a.startswith("-c") for a in argv[1:]))
    return Run([], holds=holds, why=f"`{' '.join(argv)}` listens on nothing")


def _pause(argv: list[str], ctx: Ctx) -> Run:
    return Run([], holds=True, why="pause sleeps forever and listens on nothing")


def _shell(argv: list[str], ctx: Ctx) -> Run:
    """``sh -c SCRIPT``; ``sh`` alone reads its commands from stdin."""
    args, name, i = argv[1:], os.path.basename(argv[0]), 0
    while i < len(args):
        word = args[i]
        if word == "-c" or (re.fullmatch(r"-[a-z]*c[a-z]*", word) is not None):
            if i + 1 >= len(args):
                return Run.fails(f"{name}: -c requires an argument")
            return run_script(args[i + 1], ctx)
        if word in ("-o", "+o"):
            i += 2
            continue
        if not word.startswith(("-", "+")):
            return Run.unknown(f"{name} runs the script {word}, which the simulator cannot see")
        i += 1
    if ctx.container.stdin and ctx.stdin_text is None:
        return Run([], holds=True, why=f"{name} waits for commands on stdin (stdin: true) and listens on nothing")
    return Run(why=f"{name} with no command reads its commands from stdin, which is empty without stdin: true")


GENERIC: dict[str, Handler] = {
    **{shell: _shell for shell in SHELLS},
    "sleep": _sleep,
    "tail": _tail,
    "cat": _reads_stdin,
    "read": _reads_stdin,
    "ping": _forever,
    "yes": _forever,
    "watch": _forever,
    "top": _forever,
}


# --------------------------------------------------------------------------- dispatch


FAMILY_PROGRAMS: dict[str, dict[str, Handler]] = {
    "nginx": {"nginx": servers.nginx, "nginx-debug": servers.nginx},
    "nginx-unprivileged": {"nginx": servers.nginx, "nginx-debug": servers.nginx},
    "httpd": {"httpd": servers.apache, "httpd-foreground": servers.apache},
    "mysql": {"mysqld": servers.mysql},
    "mariadb": {"mysqld": servers.mysql, "mariadbd": servers.mysql},
    "postgres": {"postgres": servers.postgres},
    "redis": {"redis-server": servers.redis},
    "influxdb": {"influxd": servers.influxd},
    "http-echo": {"http-echo": servers.http_echo},
    "whoami": {"whoami": servers.whoami},
    "hello-app": {"hello-app": servers.hello_app},
    "pause": {"pause": _pause},
    "agnhost": {"agnhost": agnhost.agnhost, "agnhost-2": agnhost.agnhost},
}


def _tool(name: str, info: ImageInfo) -> Handler | None:
    if name in ("nc", "netcat") and info.nc:
        return tools.nc
    if name == "httpd" and info.busybox_httpd:
        return tools.busybox_httpd
    if re.fullmatch(r"python(\d+(\.\d+)?)?", name) and info.python:
        return tools.python
    return None


def _handler(name: str, info: ImageInfo) -> Handler | None:
    found = _tool(name, info)
    if found is None and info.shell:
        found = GENERIC.get(name)
    return found


def _not_installed(name: str, info: ImageInfo, ctx: Ctx) -> str:
    """The error for a listening tool the image lacks ("" when it may exist)."""
    tool = "python" if re.fullmatch(r"python(\d+(\.\d+)?)?", name) else name
    if tool not in LISTENING_TOOLS or ctx.container.volume_mounts is not None:
        return ""
    if ctx.in_shell:
        return f"sh: {name}: not found"
    return f'exec: "{name}": executable file not found in $PATH'


def _unwrap(argv: list[str], ctx: Ctx) -> list[str]:
    """Drop wrappers in front of the real program."""
    info = ctx.image.info
    while argv:
        name = os.path.basename(argv[0])
        if name in ("nohup", "exec"):
            argv = argv[1:]
        elif name in ("tini", "dumb-init", "catatonit"):
            argv = argv[1:]
            while argv and argv[0].startswith("-"):
                done = argv[0] == "--"
                argv = argv[1:]
                if done:
                    break
        elif name == "env":
            argv = list(itertools.dropwhile(lambda a: re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", a), argv[1:]))
        elif info and name in _ENTRYPOINT_SCRIPTS and argv[0] in info.entrypoint:
            argv = _through_entrypoint(argv[1:], info)
        else:
            return argv
    return argv


def _through_entrypoint(args: list[str], info: ImageInfo) -> list[str]:
    """What an official image's entrypoint script runs with these arguments."""
    program = _FLAG_PROGRAMS.get(info.family)
    if info.family == "curl":
        return ["curl", *args] if not args or args[0].startswith("-") else args
    if program and args and (args[0].startswith("-") or (info.family == "redis" and args[0].endswith(".conf"))):
        return [program, *args]
    return args


def run_program(argv: list[str], ctx: Ctx) -> Run:
    """What ``argv`` does when run in ``ctx`` (the image's program table decides)."""
    argv = _unwrap(list(argv), ctx)
    if not argv:
        return Run(why="the entrypoint has no command to run")
    hidden = unresolved_parts(argv)
    if hidden and os.path.basename(argv[0]) not in QUICK:
        return Run.unknown(f"its command line uses {hidden[0]}, whose value the simulator cannot know")
    info = ctx.image.info
    assert info is not None
    name = os.path.basename(argv[0])
    if name == "busybox" and info.busybox and len(argv) > 1:
        argv, name = argv[1:], argv[1]
        if name == "nc":
            return tools.nc(argv, ctx)
    own = FAMILY_PROGRAMS.get(info.family, {}).get(name)
    if own is not None:
        run = own(argv, ctx)
        run.app = run.app or FAMILY_LABELS.get(info.family, "")
        return run
    handler = _handler(name, info)
    if handler is not None:
        return handler(argv, ctx)
    missing = _not_installed(name, info, ctx)
    if missing:
        return Run.fails(missing)
    if not info.shell and ctx.container.volume_mounts is None:
        return Run.fails(f'exec: "{argv[0]}": executable file not found in $PATH')
    if name in QUICK and info.shell:
        return Run(why=f"`{name}` runs and exits")
    return Run.unknown(f"the simulator does not know what `{name}` does in this image")


# --------------------------------------------------------------------------- shell scripts


def run_script(script: str, ctx: Ctx) -> Run:
    """A ``sh -c`` script: the servers it starts and whether it keeps running."""
    try:
        commands = split_script(script, ctx.env)
    except ValueError as err:
        return Run.fails(f"sh: syntax error: {str(err).lower()}")
    result = Run()
    notes: list[str] = []
    served: list[str] = []
    background = pipeline_holds = False
    piped_text: str | None = None
    for command in commands:
        words = command.words
        if words[0] == "exit":
            break
        if words[0] == "wait":
            result.holds = background
            if background:
                break
            continue
        replaces = words[0] == "exec" and len(words) > 1
        if command.piped and words[0] in ("echo", "printf"):
            piped_text = tools.echo_output(words)
            continue
        run = run_program(words, ctx.with_env(command.assignments, piped_text))
        piped_text = None
        _absorb(result, run, notes, served, words)
        if command.background:
            background = True
        elif command.piped:
            pipeline_holds = pipeline_holds or run.holds
        elif run.holds or pipeline_holds or replaces:
            result.holds = run.holds or pipeline_holds
            break
        else:
            pipeline_holds = False
    else:
        loops = [c for c in commands if c.loop]
        if loops and not any(c.words[0] == "break" for c in loops):
            result.holds = True
    result.why = "; ".join(notes + _ending(result, served))
    return result


def _ending(result: Run, served: list[str]) -> list[str]:
    """Why-clauses for the servers a script started, or for the script ending under them."""
    if result.holds or not result.known:
        return served
    labels = list(dict.fromkeys(server.kind for server in result.servers))
    if not labels:
        return ["the script ends"]
    return [f"the script ends, and what it started in the background ({', '.join(labels)}) ends with it"]


def _absorb(result: Run, run: Run, notes: list[str], served: list[str], words: list[str]) -> None:
    """Add one command's outcome to the script's: failures and unknowns to ``notes``."""
    result.servers.extend(run.servers)
    result.app = result.app or run.app
    if run.failure:
        notes.append(f"`{words[0]}` fails: {run.failure}")
    elif not run.known:
        result.known = False
        notes.append(run.why)
    elif run.servers and run.holds:
        served.append(run.why)
    elif run.servers:
        every = [listener for server in run.servers for listener in server.listeners]
        served.append(f"{run.app} listens on {describe_listeners(every)} ({run.why})")
