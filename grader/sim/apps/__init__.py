"""Applications inside pods: what really listens, and what it answers (R-CP-1, R-CP-3, R-CP-4, R-HN-3).

``containerPort`` is informational (R-CP-1): traffic to ``podIP:N`` reaches a process iff the
*program* in one of the pod's containers listens on N. This package decides which program that
is and how it behaves:

* :func:`container_app` / :func:`pod_apps`: the program a container runs (the image's
  ENTRYPOINT/CMD, replaced by ``command``/``args``, with the kubelet's ``$(VAR)`` expansion)
  and its :class:`Listener` sockets, from a catalogue of common images (nginx, httpd, mysql,
  mariadb, postgres, redis, influxdb, agnhost netexec/serve-hostname/pause, hashicorp/http-echo,
  ``python -m http.server``, hello-app, traefik/whoami, BusyBox ``httpd`` and ``nc``, and idle
  base images). Unknown images are ``known=False`` until the pod declares them with the
  ``listen.kports.dev/<container>`` annotation (:mod:`.annotation`).
* :func:`bind_conflicts` / :func:`bind_failure_log`: two programs in one network namespace
  binding the same port (R-CP-3; hostNetwork pods on one node, R-HN-3).
* :func:`answer`: what ``curl -sS`` prints when a connection reaches a listener.
* :func:`probe_result`: readiness/liveness/startup probes judged against the same model.

Modules: :mod:`.model` (data), :mod:`.images` (catalogue), :mod:`.argv` (command lines),
:mod:`.programs`, :mod:`.servers`, :mod:`.agnhost`, :mod:`.tools` (recognisers), :mod:`.core`
(assembly and cache), :mod:`.annotation`, :mod:`.answers`, :mod:`.texts` (exact bodies),
:mod:`.conflicts`, :mod:`.probes`.
"""

from __future__ import annotations

from grader.sim.apps.annotation import (
    ANNOTATION_PREFIX,
    ListenAnnotationError,
    annotation_key,
    listen_annotation_problems,
    parse_listen_annotation,
)
from grader.sim.apps.answers import answer
from grader.sim.apps.conflicts import bind_conflicts, bind_failure_log
from grader.sim.apps.core import container_app, pod_apps, pod_hostname, shared_pod_apps
from grader.sim.apps.model import ContainerApp, Listener, Reply, Request
from grader.sim.apps.probes import probe_result

__all__ = [
    "ANNOTATION_PREFIX",
    "ContainerApp",
    "ListenAnnotationError",
    "Listener",
    "Reply",
    "Request",
    "annotation_key",
    "answer",
    "bind_conflicts",
    "bind_failure_log",
    "container_app",
    "listen_annotation_problems",
    "parse_listen_annotation",
    "pod_apps",
    "pod_hostname",
    "probe_result",
    "shared_pod_apps",
]
