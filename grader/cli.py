"""``kports``: kubectl-like commands against a fresh simulated cluster, one command at a time.

``grade``, ``release`` and ``autograde`` are the course's instructor commands
(:mod:`grader.nb.commands`). Every other command is stateless: it builds the cluster (``--cluster kind|single|FILE``, ``--seed``),
applies the ``-f`` files in order, then does its work. Output, error text and exit codes are
kubectl's. Bad input never produces a traceback: the message names the file and the problem,
and the exit code is 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Sequence, TextIO

from grader._version import __version__
from grader.backends import ENV_VAR, get_backend
from grader.errors import GraderError
from grader.nb import commands as course_commands
from grader.sim import probe, views
from grader.sim.cluster import Cluster
from grader.sim.results import CommandOutput

__all__ = ["main"]

_STDIN_LIMIT = 4 * 1024 * 1024 + 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kports",
        description="Kubernetes Ports, hands-on: kubectl-like commands on a simulated kind cluster.",
    )
    parser.add_argument("--version", action="version", version=f"kports {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    apply = sub.add_parser("apply", help="apply manifests and print what kubectl apply prints")
    _common(apply, files_required=True)

    get = sub.add_parser("get", help="apply manifests, then kubectl get")
    get.add_argument("resource", help="pods, services, endpoints, endpointslices, deployments, ...")
    get.add_argument("name", nargs="?", help="one object's name")
    get.add_argument("-o", "--output", choices=["wide", "yaml"], help="output format")
    get.add_argument("-A", "--all-namespaces", action="store_true", help="list across namespaces")
    _common(get)

    describe = sub.add_parser("describe", help="apply manifests, then kubectl describe")
    describe.add_argument("resource", help="service or pod")
    describe.add_argument("name", help="the object's name")
    _common(describe)

    for name, text in (("curl", "apply manifests, then curl -sS --connect-timeout from a source"),
                       ("trace", "apply manifests, then show every hop of a curl and why it ended")):
        probe = sub.add_parser(name, help=text)
        probe.add_argument("url", help="http://HOST[:PORT][/PATH] (scheme optional) or udp://HOST:PORT[/PAYLOAD]")
        probe.add_argument("--from", dest="source", default="outside", metavar="SOURCE",
                           help="outside (default), node/NAME or pod/NAME")
        probe.add_argument("-c", "--container", default="", help="container of a pod source")
        probe.add_argument("--connect-timeout", type=float, default=3.0, metavar="SECONDS",
                           help="seconds before a dropped connection gives up (default 3)")
        probe.add_argument("--every", action="store_true",
                           help="(trace) show every path the connection could take, with its probability")
        _backend_option(probe)
        _common(probe)

    rules = sub.add_parser("rules", help="apply manifests, then print a node's iptables rules (iptables-save)")
    rules.add_argument("--node", required=True, help="the node whose rules to print")
    _backend_option(rules)
    _common(rules)

    course_commands.add_parsers(sub)  # grade, release, autograde
    return parser


def _backend_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend", default=None, metavar="NAME",
        help="where packets really go: sim (default, or $KPORTS_BACKEND) or netns (a real Linux data plane)",
    )


def _common(p: argparse.ArgumentParser, files_required: bool = False) -> None:
    p.add_argument(
        "-f", "--filename", action="append", default=[], required=files_required, metavar="FILE",
        help="manifest file to apply first ('-' for standard input); repeatable",
    )
    p.add_argument("-n", "--namespace", default="default", help="namespace (default: default)")
    p.add_argument(
        "--cluster", default="kind", metavar="kind|single|FILE",
        help="topology: the 3-node kind cluster (default), one node, or a topology file",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for allocations (default 0)")


def _read_inputs(names: list[str], stdin: TextIO) -> list[tuple[object, str]]:
    inputs: list[tuple[object, str]] = []
    for name in names:
        if name == "-":
            data = stdin.buffer.read(_STDIN_LIMIT) if hasattr(stdin, "buffer") else stdin.read()
            inputs.append((data, "STDIN"))
        else:
            inputs.append((Path(name), name))
    return inputs


def _apply_all(cluster: Any, names: list[str], stdin: TextIO) -> CommandOutput:
    """Apply each file in turn, concatenating kubectl's output for each."""
    outs, errs, code = [], [], 0
    for data, source in _read_inputs(names, stdin):
        result = cluster.apply(data, source=source)
        outs.append(result.stdout)
        errs.append(result.stderr)
        code = max(code, result.exit_code)
    join = lambda parts: "\n".join(p for p in parts if p)  # noqa: E731
    return CommandOutput(join(outs), join(errs), code)


def _run(args: argparse.Namespace, stdin: TextIO) -> tuple[CommandOutput, CommandOutput | None]:
    backend_name = getattr(args, "backend", None) or os.environ.get(ENV_VAR) or "sim"
    if backend_name != "sim" and args.command in ("curl", "trace", "rules"):
        return _run_on_backend(backend_name, args, stdin)
    cluster = Cluster(args.cluster, seed=args.seed)
    applied = _apply_all(cluster, args.filename, stdin)
    if args.command == "apply":
        return applied, None
    if args.command in ("curl", "trace"):
        return applied, _probe(cluster, args)
    if args.command == "rules":
        return applied, _rules(cluster, args.node)
    if args.command == "get":
        shown = views.kubectl_get(
            cluster, args.resource, args.name, namespace=args.namespace,
            output=args.output or "", all_namespaces=args.all_namespaces,
        )
    else:
        shown = views.kubectl_describe(cluster, args.resource, args.name, namespace=args.namespace)
    return applied, shown


def _run_on_backend(name: str, args: argparse.Namespace, stdin: TextIO) -> tuple[CommandOutput, CommandOutput]:
    """curl, trace and rules on another backend (e.g. netns): same manifests, real packets."""
    backend: Any = get_backend(name, topology=args.cluster, seed=args.seed)
    try:
        applied = _apply_all(backend, args.filename, stdin)
        if args.command == "rules":
            if backend.cluster.topology.node(args.node) is None:
                return applied, CommandOutput("", f'Error from server (NotFound): nodes "{args.node}" not found', 1)
            saved = getattr(backend, "saved_rules", None)
            text = saved(args.node) if saved else backend.cluster.network().rules(f"node:{args.node}").render()
            return applied, CommandOutput(text.rstrip("\n"), "", 0)
        result = backend.curl(args.source, args.url, timeout=args.connect_timeout,
                              container=args.container, namespace=args.namespace)
        code = 2 if result.exit_code < 0 else result.exit_code
        if args.command == "trace":
            simulated = probe.curl(backend.cluster, args.source, args.url, timeout=args.connect_timeout,
                                   namespace=args.namespace, container=args.container)
            text = (f"{name}: {result.summary()} (curl exit {result.exit_code})\n"
                    f"the simulator's account of the same connection:\n{simulated.trace()}")
            return applied, CommandOutput(text, "", code)
        return applied, CommandOutput(result.stdout, result.stderr, code)
    finally:
        backend.close()


def _probe(cluster: Cluster, args: argparse.Namespace) -> CommandOutput:
    kwargs = dict(timeout=args.connect_timeout, namespace=args.namespace, container=args.container)
    if args.command == "trace" and args.every:
        results = probe.curl(cluster, args.source, args.url, every=True, **kwargs)
        blocks = [f"[{r.probability:.1%}] {r.trace()}" for r in results]  # type: ignore[union-attr]
        return CommandOutput("\n\n".join(blocks), "", 0)
    result = probe.curl(cluster, args.source, args.url, **kwargs)
    assert isinstance(result, probe.ProbeResult)
    code = 2 if result.exit_code < 0 else result.exit_code
    if args.command == "trace":
        return CommandOutput(result.trace(), "", code)
    return CommandOutput(result.stdout, result.stderr, code)


def _rules(cluster: Cluster, node: str) -> CommandOutput:
    if cluster.topology.node(node) is None:
        return CommandOutput("", f'Error from server (NotFound): nodes "{node}" not found', 1)
    rules = cluster.network().rules(f"node:{node}")
    return CommandOutput(rules.render().rstrip("\n"), "", 0)


def _emit(out: CommandOutput, stdout: TextIO, stderr: TextIO, raw: bool = False, warning_first: bool = False) -> None:
    """kubectl's text gets a final newline; curl's body is written exactly as the app sent it.

    ``warning_first``: the API server's ``Warning:`` arrives with the response, so kubectl get
    prints it before the table (``kubectl get endpoints`` on 1.33+).
    """
    if warning_first and out.stderr.startswith("Warning:"):
        print(out.stderr, file=stderr)
        stderr.flush()
        out = CommandOutput(out.stdout, "", out.exit_code)
    if out.stdout:
        stdout.write(out.stdout if raw else out.stdout + "\n")
    if out.stderr:
        print(out.stderr, file=stderr)


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run one command; return its exit code. Streams default to the process's own."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = _parser().parse_args(argv)
    if args.command in course_commands.COMMANDS:
        return course_commands.run_command(args, stdout, stderr)
    try:
        applied, shown = _run(args, stdin)
    except GraderError as exc:
        text = str(exc)
        print(text if text.startswith("error") else f"error: {text}", file=stderr)
        return 1
    if shown is None:
        _emit(applied, stdout, stderr)
        return applied.exit_code
    if applied.stderr:
        print(applied.stderr, file=stderr)
    _emit(shown, stdout, stderr, raw=args.command == "curl", warning_first=args.command == "get")
    if args.command in ("curl", "trace"):
        return shown.exit_code  # curl's own code; apply problems were printed above
    return shown.exit_code or applied.exit_code
