"""From a Pod's container to its :class:`ContainerApp`: catalogue, command line, annotation.

This is where R-CP-1 lives: what a container listens on comes from its *program* (the image's
default command, or ``command``/``args``), never from ``ports[].containerPort``. The steps:

1. Look the image up (:mod:`.images`); unknown images are ``known=False``.
2. Build the main process's argv as the kubelet does (``$(VAR)`` expansion, ``command``
   replaces ENTRYPOINT, ``args`` replaces CMD) and ask :func:`.programs.run_program`.
3. If the pod carries ``listen.kports.dev/<container>``, its listeners replace the result
   (:mod:`.annotation`).

Results are cached on the parts of the spec they depend on, so 150,000 pods stamped from a few
templates cost a few parses.
"""

from __future__ import annotations

import shlex

from grader.model.objects import Container, EnvVar, Pod, evolve
from grader.sim.apps.annotation import FORMAT_HINT, ListenAnnotationError, annotation_key, parse_listen_annotation
from grader.sim.apps.argv import UNRESOLVED, container_env, effective_argv
from grader.sim.apps.images import ImageRef, parse_image
from grader.sim.apps.model import ContainerApp, Server, describe_listeners
from grader.sim.apps.programs import run_program
from grader.sim.apps.run import Ctx, Run

__all__ = ["container_app", "pod_apps", "pod_hostname", "shared_pod_apps"]

CONTAINER_PORT_NOTE = "containerPort does not change that"


def pod_hostname(pod: Pod) -> str:
    """What ``os.Hostname()`` returns inside the pod.

    The node's name for a hostNetwork pod; otherwise ``spec.hostnameOverride``,
    ``spec.hostname`` or the pod's name, cut to 63 characters without a trailing ``-``/``.``
    (the kubelet's ``GeneratePodHostNameAndDomain``).
    """
    if pod.spec.host_network:
        return pod.spec.node_name
    name = pod.spec.hostname_override or pod.spec.hostname or pod.metadata.name
    return name[:63].rstrip("-.") if len(name) > 63 else name


def _command_text(argv: list[str]) -> str:
    text = shlex.join(word.replace(UNRESOLVED, "") for word in argv)
    return text if len(text) <= 72 else text[:69] + "..."


def _unknown_hint(container: str) -> str:
    return f'declare it with the pod annotation {annotation_key(container)}: "8080/TCP" ({FORMAT_HINT})'


def _explain(run: Run, argv: list[str], image: str, container: str) -> tuple[str, bool, bool]:
    """(explanation, known, exits) for the main process's outcome."""
    command = f"`{_command_text(argv)}`" if argv else "the image's default command"
    if run.failure:
        return (f"{command} exits at once ({run.failure}), so the container restarts "
                "(CrashLoopBackOff) and listens on nothing", True, True)
    if not run.known:
        return (f"the simulator cannot tell what {command} in image {image} listens on ({run.why}); "
                f"{_unknown_hint(container)}", False, False)
    if not run.holds:
        reason = run.why or "it has nothing left to run"
        return (f"{command} exits at once ({reason}), so the container restarts (CrashLoopBackOff) "
                "and listens on nothing", True, True)
    if not run.servers:
        return run.why or f"{command} listens on nothing", True, False
    return f"{run.why}; {CONTAINER_PORT_NOTE}", True, False


def _catalogue_app(image: ImageRef, container: Container) -> ContainerApp:
    name = container.name
    if image.info is None:
        explanation = f'the simulator does not know what image "{image.text}" listens on; {_unknown_hint(name)}'
        return ContainerApp(name, image.text, "unknown", (), False, explanation)
    env = container_env(container)
    argv = effective_argv(image.info.entrypoint, image.info.cmd, container, env)
    run = run_program(argv, Ctx(image, container, env))
    explanation, known, exits = _explain(run, argv, image.text, name)
    servers = () if exits else tuple(run.servers)
    listeners = tuple(item for server in servers for item in server.listeners)
    label = run.app or ("unknown" if not known else "idle")
    return ContainerApp(name, image.text, label, listeners, known, explanation, exits, servers)


def _declared_app(base: ContainerApp, value: str) -> ContainerApp:
    """The annotation's listeners replace the catalogue's (an exiting container stays down)."""
    key = annotation_key(base.container)
    try:
        listeners = parse_listen_annotation(value, base.container)
    except ListenAnnotationError as err:
        return ContainerApp(base.container, base.image, "unknown", (), False, f"the pod annotation is invalid: {err}")
    if base.exits:
        note = f"; the {key} annotation cannot make a container that exits listen"
        return ContainerApp(base.container, base.image, base.app, (), True, base.explanation + note, True)
    primary = base.servers[0] if base.servers else Server("declared", ())
    label = base.app if base.servers else "declared"
    server = Server(primary.kind, listeners, primary.params)
    what = describe_listeners(listeners)
    if label == "declared":
        answers = "; HTTP requests there are answered with the pod's hostname" if listeners else ""
        explanation = f"the pod annotation {key} declares that this container listens on {what}{answers}"
    else:
        explanation = (f"{label} listens on {what} (declared by the pod annotation {key}, which replaces "
                       f"the simulator's default); {CONTAINER_PORT_NOTE}")
    return ContainerApp(base.container, base.image, label, listeners, True, explanation, False, (server,))


def _env_key(env: tuple[EnvVar, ...]) -> tuple[tuple[str, str, bool], ...]:
    return tuple((var.name, var.value, var.value_from is not None) for var in env)


_CACHE: dict[tuple, ContainerApp] = {}
_CACHE_SIZE = 4096
_BY_CONTAINER: dict[int, tuple[Container, str | None, ContainerApp]] = {}
"""The app of a Container *object* (pods of one template share theirs), checked by identity."""


def _shared_app(pod: Pod, container: Container) -> ContainerApp:
    """The cached app of ``container`` in ``pod``: equal for equal inputs, shared between pods."""
    annotations = pod.metadata.annotations
    annotation = annotations.get(annotation_key(container.name)) if annotations else None
    hit = _BY_CONTAINER.get(id(container))
    if hit is not None and hit[0] is container and hit[1] == annotation:
        return hit[2]
    key = (container.name, container.image, container.command, container.args, _env_key(container.env),
           container.env_from is not None, container.stdin, container.volume_mounts is not None, annotation)
    app = _CACHE.get(key)
    if app is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        app = _catalogue_app(parse_image(container.image), container)
        if annotation is not None:
            app = _declared_app(app, annotation)
        _CACHE[key] = app
    if len(_BY_CONTAINER) >= _CACHE_SIZE:
        _BY_CONTAINER.clear()
    _BY_CONTAINER[id(container)] = (container, annotation, app)
    return app


def container_app(pod: Pod, container: Container) -> ContainerApp:
    """What ``container`` of ``pod`` runs and really listens on (R-CP-1, R-CP-4, R-HN-3).

    Every call returns a new object (the parse behind it is cached), so apps of identical
    containers in different pods stay distinguishable by identity in :func:`bind_conflicts`.
    """
    return evolve(_shared_app(pod, container))


def pod_apps(pod: Pod) -> tuple[ContainerApp, ...]:
    """The apps of the pod's regular containers, in spec order (new objects, see :func:`container_app`)."""
    return tuple([evolve(_shared_app(pod, container)) for container in pod.spec.containers])


def shared_pod_apps(pod: Pod) -> tuple[ContainerApp, ...]:
    """:func:`pod_apps` for readers that never tell apps of different pods apart by identity:
    cached objects, no copies (the apps of one pod's containers are still distinct objects)."""
    containers, annotations = pod.spec.containers, pod.metadata.annotations
    key = (id(containers), id(annotations))
    hit = _POD_APPS.get(key)
    if hit is not None and hit[0] is containers and hit[1] is annotations:
        return hit[2]
    apps = tuple([_shared_app(pod, container) for container in containers])
    if len(_POD_APPS) >= _CACHE_SIZE:
        _POD_APPS.clear()
    _POD_APPS[key] = (containers, annotations, apps)
    return apps


_POD_APPS: dict[tuple[int, int], tuple[tuple, dict, tuple[ContainerApp, ...]]] = {}
"""The apps of a containers tuple with an annotations dict (pods of one template share both)."""
