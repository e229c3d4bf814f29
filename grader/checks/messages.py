"""Every sentence a learner reads from :mod:`grader.checks`, in one place so tests assert on them.

Three families:

* **sentences** (``describe_*``): what an expectation checks, as a notebook cell would say it
  ("from outside, every node's port 30008 reaches a pod labelled app=myapp");
* **heads** (:func:`happened`): what curl saw, one clause ("curl from outside to
  kind-worker2:30080 timed out");
* **diagnoses** (the ``why_*`` / ``fix_*`` pairs): why it happened, naming the object and the
  rule, and a plain one-line fix. :func:`because` joins a head and a diagnosis:
  ``<head>: <why> (<rule>)``.

Messages state what was *observed*; what an expectation *wanted* lives in its sentence only, so
a hidden check can drop the sentence and keep the message without giving the answer away.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "HIDDEN",
    "OUTCOME_WORDS",
    "because",
    "happened",
    "join_words",
    "plural",
]

HIDDEN = "(hidden check)"

OUTCOME_WORDS = {
    "REACHED": "reaches",
    "REFUSED": "is refused",
    "TIMEOUT": "times out",
    "DNS": "does not resolve",
    "UNKNOWN": "reaches an app the simulator cannot model",
}


def join_words(items: Iterable[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def plural(count: int, word: str, many: str = "") -> str:
    """``1 pod``, ``2 pods``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def number(value: float) -> str:
    """Points without noise: ``1``, ``0.5``, ``0.33``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------- sentences


def describe_pod_selector(spec: str) -> str:
    """``a pod labelled app=myapp`` or ``a pod named web`` or ``a pod whose name matches web-.*``."""
    if "=" in spec:
        return f"a pod labelled {spec}"
    if any(c in spec for c in "^$*+?()[]{}|\\"):
        return f"a pod whose name matches {spec}"
    return f"pod {spec}"


def describe_pods(spec: str) -> str:
    """``pods labelled app=shop`` / ``pods whose name matches v[12]``."""
    if "=" in spec:
        return f"pod labelled {spec}"
    return f"pod whose name matches {spec}"


def describe_client_ip(client_ip: str) -> str:
    """The clause about the client address an answering pod sees."""
    if client_ip == "preserved":
        return "the pod sees the client's real IP"
    if client_ip == "snat":
        return "the pod sees a rewritten (SNAT) client address"
    return f"the pod sees the client as {client_ip}"


def describe_curl(source: str, url: str, expect: str, pod: str | None, client_ip: str | None,
                  body: str | None, where: str = "") -> str:
    """``from outside, kind-worker2:30080 times out``."""
    target = f"{url} ({where})" if where else url
    text = f"from {source}, {target} {OUTCOME_WORDS[expect]}"
    if expect == "REACHED":
        text += " " + (describe_pod_selector(pod) if pod else "a pod")
        if client_ip:
            text += f" and {describe_client_ip(client_ip)}"
        if body:
            text += f" and the answer matches {body!r}"
    return text


def describe_every_node(source: str, port: int, path: str, expect: str, pod: str | None) -> str:
    """``from outside, every node's port 30008 reaches a pod labelled app=myapp``."""
    where = f"port {port}" if path in ("", "/") else f"port {port} (path {path})"
    text = f"from {source}, every node's {where} {OUTCOME_WORDS[expect]}"
    if expect == "REACHED":
        text += " " + (describe_pod_selector(pod) if pod else "a pod")
    return text


def describe_balances(source: str, url: str, pods: str) -> str:
    """``from pod/client, shop:80 is answered by every ready pod labelled app=shop (load balancing)``."""
    return f"from {source}, {url} is answered by every ready {describe_pods(pods)} (load balancing)"


def describe_rejected(kind: str, name: str, containing: str) -> str:
    return f'the {kind} "{name}" is rejected with a message containing "{containing}"'


def describe_accepted(kind: str, name: str) -> str:
    return f'the {kind} "{name}" is accepted'


def describe_pending(pod: str, because_text: str | None) -> str:
    text = f"a pod matching {pod} is Pending"
    return text + (f' because "{because_text}"' if because_text else "")


def describe_running(pod: str, node: str | None) -> str:
    text = f"every pod matching {pod} is Running"
    return text + (f" on {node}" if node else "")


def describe_prediction(source: str, url: str, predicted: str) -> str:
    if not url:
        return f"your prediction for {source} is {predicted}"
    return f"your prediction: from {source}, {url} is {predicted}"


def describe_predictions(count: int) -> str:
    return f"your predictions ({plural(count, 'probe')}) match what happens"


def hidden(subject: str) -> str:
    """The sentence of a hidden expectation: what it is about, not what it wants."""
    return f"{subject} {HIDDEN}"


# ---------------------------------------------------------------------- heads


def happened(source: str, url: str, outcome: str, host: str = "", answered_by: str = "",
             container: str = "", client: str = "") -> str:
    """One clause saying what curl saw."""
    head = f"curl from {source} to {url}"
    if outcome == "REACHED":
        who = f"pod {answered_by}" if "/" in answered_by and not answered_by.startswith("node/") else answered_by
        text = f"{head} reached {who}" + (f" (container {container})" if container else "")
        return text + (f"; it saw the client as {client}" if client else "")
    if outcome == "REFUSED":
        return f"{head} was refused"
    if outcome == "TIMEOUT":
        return f"{head} timed out"
    if outcome == "DNS":
        return f"{head} could not resolve host {host}"
    return f"{head} reached an app the simulator cannot model"


def because(head: str, why: str, rule: str = "") -> str:
    """``<head>: <why> (<rule>)``; the rule is not repeated when ``why`` already ends with it."""
    text = f"{head}: {why}" if why else head
    if rule and not why.rstrip(")").endswith(rule):
        text += f" ({rule})"
    return text


# ---------------------------------------------------------------------- diagnoses: TIMEOUT


def why_local_external(svc: str, node: str) -> str:
    return f"the Service {svc} has externalTrafficPolicy Local and {node} runs none of its pods"


def fix_local_external(nodes: list[str]) -> str:
    where = join_words(nodes, "or") if nodes else "a node that runs one of its pods"
    return f"curl a node that runs one of its pods ({where}), or set externalTrafficPolicy: Cluster"


def why_local_internal(svc: str, node: str) -> str:
    return f"the Service {svc} has internalTrafficPolicy Local and {node}, the client's node, runs none of its pods"


def fix_local_internal(nodes: list[str]) -> str:
    where = join_words(nodes, "or") if nodes else "a node that runs one of its pods"
    return f"run the client on a node that runs one of its pods ({where}), or set internalTrafficPolicy: Cluster"


def why_cluster_ip_from_outside(ip: str, svc: str) -> str:
    return f"{ip} is the ClusterIP of the Service {svc}; ClusterIPs are reachable only from inside the cluster"


def fix_use_node_port(address: str) -> str:
    return f"from outside, curl a node's IP on the Service's nodePort: {address}"


FIX_MAKE_NODE_PORT = "make the Service type: NodePort and curl a node's IP on its nodePort"


def why_pod_ip_from_outside(ip: str, pod: str) -> str:
    return f"{ip} is the IP of pod {pod}; pod IPs are reachable only from inside the cluster"


FIX_EXPOSE_POD = "expose the pod with a NodePort Service (or a hostPort) and curl a node's IP"


def why_not_a_service_port(svc: str, ports: str, port: int) -> str:
    return (f"the Service {svc} answers on its ClusterIP only on its ports ({ports}); "
            f"nothing handles port {port}, so the packet is dropped")


def fix_node_port_inside(port: int, address: str) -> str:
    return f"{port} is the nodePort, which is open on the nodes' IPs; inside the cluster use the Service port: {address}"


def fix_target_port_inside(port: int, address: str) -> str:
    return f"{port} is the targetPort (the pods' port); clients of the Service use its port: {address}"


def fix_service_port(address: str) -> str:
    return f"use one of the Service's ports: {address}"


# ---------------------------------------------------------------------- diagnoses: no endpoints


def why_no_selector(svc: str) -> str:
    return f"the Service {svc} has no selector, so no endpoints are created for it"


FIX_ADD_SELECTOR = "add a selector that matches the pods' labels (or create its EndpointSlice yourself)"


def why_selector_matches_nothing(svc: str, selector: str, namespace: str) -> str:
    return f"the Service {svc} has no endpoints: its selector {selector} matches no pod in namespace {namespace}"


def fix_selector(labels: str, pod: str) -> str:
    return f"the closest pod labels are {labels} (pod {pod}); set the Service's selector to {labels}"


def fix_selector_no_pods(selector: str) -> str:
    return f"create the pods (e.g. a Deployment whose pod template has the labels {selector})"


def why_not_ready(svc: str, states: str) -> str:
    return f"the Service {svc} has no endpoints: none of its pods is ready ({states})"


def fix_readiness(pod: str) -> str:
    return f"make the readiness probe pass: kubectl describe pod {pod} shows why it fails"


def fix_not_running(pod: str) -> str:
    return f"get the pods running first: kubectl describe pod {pod} shows why they are not"


def why_named_port(svc: str, name: str) -> str:
    return f"the Service {svc} has no endpoints: its targetPort {name!r} names no containerPort of its pods"


def fix_named_port(name: str, number: int | None) -> str:
    if number is None:
        return f"name the pods' containerPort {name!r}"
    return f"name the pods' containerPort {name!r} (name: {name}, containerPort: {number}), or set targetPort: {number}"


def why_no_endpoints(svc: str) -> str:
    return f"the Service {svc} has no endpoints"


# ---------------------------------------------------------------------- diagnoses: refused at a pod


def listens_on(ports: list[str]) -> str:
    return f"its containers listen on {join_words(ports)}" if ports else "its containers listen on no port"


def why_target_port(svc: str, port: int, target: str, pod: str, ports: list[str]) -> str:
    return (f"the Service {svc} sends port {port} to targetPort {target} on pod {pod}, "
            f"but {listens_on(ports)}")


def why_defaulted_target_port(svc: str, port: int, pod: str, ports: list[str]) -> str:
    return (f"the Service {svc} sends port {port} to port {port} on pod {pod} "
            f"(targetPort is {port}: when omitted it defaults to port, R-SD-2), but {listens_on(ports)}")


def fix_target_port(number: int) -> str:
    return f"set targetPort: {number}"


def why_nothing_listens(port: int, pod: str, ports: list[str]) -> str:
    return f"nothing listens on port {port} in pod {pod}: {listens_on(ports)}"


def why_host_port_target(host_port: int, port: int, pod: str, ports: list[str]) -> str:
    return f"hostPort {host_port} forwards to containerPort {port} of pod {pod}, but {listens_on(ports)}"


def fix_container_port(number: int) -> str:
    return f"set containerPort: {number} (the hostPort forwards to the containerPort)"


def fix_use_port(number: int) -> str:
    return f"use port {number}, where the app listens"


def why_loopback(pod: str, address: str, port: int) -> str:
    return f"the app in pod {pod} listens on {address}:{port} only, which is not reachable on the pod's IP"


FIX_LOOPBACK = "make the app listen on all addresses (0.0.0.0), not on 127.0.0.1"


def why_unknown_app(pod: str, image: str) -> str:
    return f"the simulator cannot tell what the app in pod {pod} (image {image}) listens on"


def fix_unknown_app(key: str, port: int) -> str:
    return f'declare what the app listens on with the pod annotation {key}: "{port}/TCP"'


def why_container_down(pod: str, detail: str) -> str:
    return f"nothing listens in pod {pod}: {detail}"


# ---------------------------------------------------------------------- diagnoses: refused at a node


def why_service_port_on_node(node: str, port: int, svc: str, node_port: int) -> str:
    return (f"{node} does not listen on port {port}: that is the Service port of {svc}, which works on its "
            f"ClusterIP only; on the nodes the Service listens on its nodePort {node_port}")


def fix_curl(address: str) -> str:
    return f"curl {address}"


def why_cluster_ip_service_on_node(node: str, port: int, svc: str) -> str:
    return f"{node} does not listen on port {port}: the Service {svc} is type ClusterIP, which opens no port on the nodes"


FIX_NODE_PORT_TYPE = "set the Service's type: NodePort and curl a node's IP on its nodePort"


def why_host_port_elsewhere(port: int, node: str, ip: str, pod: str, here: str) -> str:
    return (f"hostPort {port} is open only on {node} ({ip}), the node that runs pod {pod}; "
            f"{here} runs no pod with that hostPort")


def why_host_port_pending(port: int, pod: str) -> str:
    return f"pod {pod} asks for hostPort {port} but is not running, so no node opens it"


def why_container_port_on_node(node: str, port: int, pod: str) -> str:
    return (f"{node} does not listen on port {port}: containerPort {port} of pod {pod} is not opened on the "
            "node; only a hostPort or a NodePort Service opens a node port")


def fix_container_port_on_node(port: int) -> str:
    return f"add hostPort: {port} to that container port, or expose the pod with a NodePort Service"


# ---------------------------------------------------------------------- diagnoses: DNS


def why_no_cluster_dns(host: str, source: str) -> str:
    return f"{host} is a Service name, and only pods use the cluster DNS; {source} knows node names and IPs only"


def why_wrong_namespace(host: str, namespace: str, others: list[str], implicit: bool) -> str:
    where = join_words(others)
    whose = " (the client's namespace)" if implicit else ""
    return f"there is no Service {host} in namespace {namespace}{whose}; one exists in namespace {where}"


def fix_namespace(host: str, namespace: str) -> str:
    return f"use {host}.{namespace} (or {host}.{namespace}.svc.cluster.local)"


def why_no_such_service(name: str, namespace: str) -> str:
    return f"there is no Service {name} in namespace {namespace}"


def why_pod_name(name: str) -> str:
    return f"{name} is the name of a pod, and pods get no DNS name of their own; only Services do"


def fix_pod_name(address: str) -> str:
    return f"curl the pod's IP ({address}) or the name of a Service that selects it"


def fix_typo(candidate: str) -> str:
    return f"did you mean {candidate}?"


def why_headless_empty(svc: str) -> str:
    return f"the Service {svc} is headless (clusterIP: None) and has no ready endpoints, so its name has no addresses"


def why_external_name(svc: str, target: str) -> str:
    return f"the Service {svc} is an ExternalName for {target}, which nothing in the cluster resolves"


# ---------------------------------------------------------------------- client address and body


def why_snat(client_ip: str, own: str, host: str, step: str) -> str:
    return f"it saw the client as {client_ip}, not as {own}: {host} rewrote the source address ({step})"


FIX_LOCAL_POLICY = "set externalTrafficPolicy: Local to keep the client's address (only nodes that run a pod then answer)"


def why_not_snat(client_ip: str) -> str:
    return f"it saw the client's own address {client_ip}: nothing rewrote the source"


def why_other_client(client_ip: str) -> str:
    return f"it saw the client as {client_ip}"


def why_body(body: str) -> str:
    text = body.strip()
    text = text if len(text) <= 120 else text[:117] + "..."
    return f"it answered {text!r}"


def why_labels(labels: str) -> str:
    return f"that pod is labelled {labels}"


# ---------------------------------------------------------------------- balancing


def answered_by(pods: list[str]) -> str:
    return f"answered by {join_words(pods)}" if pods else "answered by no pod"


def never_answered(pods: list[str]) -> str:
    return f"never by {join_words(pods)}"


def one_connection(message: str, what: str) -> str:
    return f"{message}; a connection {what}"


NO_READY_POD = "no ready pod matches the selection"


def why_not_endpoint(pod: str, detail: str) -> str:
    return f"{pod} is not an endpoint: {detail}"


def not_selected(svc: str, selector: str) -> str:
    return f"the selector {selector} of the Service {svc} does not match its labels"


def no_named_port(name: str) -> str:
    return f"it declares no containerPort named {name!r}"


# ---------------------------------------------------------------------- API results


def was_rejected(kind: str, name: str, message: str) -> str:
    return f'the {kind} "{name}" was rejected: {message}'


def was_accepted(kind: str, name: str, action: str) -> str:
    return f'the {kind} "{name}" was accepted ({action})'


def never_applied(kind: str, name: str) -> str:
    return f'no {kind} "{name}" was applied'


def not_applied_file(kind: str, name: str, error: str) -> str:
    return f'the {kind} "{name}" never reached the API server: {error}'


def exists(kind: str, name: str) -> str:
    return f'the {kind} "{name}" exists in the cluster'


def not_found(kind: str, name: str) -> str:
    return f'the {kind} "{name}" does not exist in the cluster'


NO_APPLY_RESULTS = ("there is no apply result to check: evaluate with a Context that recorded the "
                    "learner's apply (Context.apply, or Context(backend, applies=[...]))")


# ---------------------------------------------------------------------- pods


def no_pod_matches(pattern: str, namespace: str) -> str:
    return f"no pod in namespace {namespace} matches {pattern}"


def pod_is(pod: str, state: str) -> str:
    return f"pod {pod} is {state}"


def pending_reason(pod: str, reason: str) -> str:
    return f"pod {pod} is Pending: {reason}" if reason else f"pod {pod} is Pending with no scheduling message"


# ---------------------------------------------------------------------- predictions, errors, skips


def bad_prediction(value: object) -> str:
    return f"{value!r} is not an outcome; predict one of REACHED, REFUSED, TIMEOUT, DNS"


def bad_prediction_key(key: object) -> str:
    return f"cannot read the prediction {key!r}: a key must be (source, url)"


def malformed_url(url: str) -> str:
    return f"curl: (3) URL rejected: Malformed input to a URL function ({url!r})"


BAD_MATRIX = "your predictions must be a non-empty dict that maps (source, url) to an outcome"


def predicted(value: str, what: str) -> str:
    return f"you predicted {value}; {what}"


def could_not_run(exc: BaseException) -> str:
    from grader.errors import GraderError

    text = str(exc) if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"
    return f"the check could not run: {text}"


def not_an_expectation(item: object) -> str:
    return f"not an expectation: {item!r}"


def skipped(backend: str, reason: str) -> str:
    return f"skipped: backend {backend!r} is unavailable: {reason}"


NO_NODES = "the cluster lists no nodes"
