"""Applications inside pods: what really listens, and what it answers (R-CP-1, R-CP-3, R-CP-4, R-HN-3).

The listener table reads as sentences: "<image> <run how> listens on <sockets>". The answers
table pins the exact bytes each catalogue app sends. S19 (a never-ready pod), S36 (two nginx
in one pod) and S37 (hostNetwork pods binding the same port) come from the behaviour spec.
"""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.model.objects import Container, ContainerPort, EnvVar, ObjectMeta, Pod, PodSpec, PodStatus
from grader.sim import apps as apps_api
from grader.sim.apps import (
    ContainerApp,
    ListenAnnotationError,
    Listener,
    Reply,
    Request,
    answer,
    bind_conflicts,
    bind_failure_log,
    container_app,
    listen_annotation_problems,
    parse_listen_annotation,
    pod_apps,
    pod_hostname,
    probe_result,
)
from grader.model.kinds import decode_document
from grader.model.yamlload import load_documents
from grader.sim.apps.texts import HTTPD_404, NETEXEC_ROOT, NGINX_WELCOME

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53"
POD_IP = "10.244.1.2"


def manifest(text: str) -> Pod:
    """Decode one Pod manifest (status.podIP set, as the kubelet would report it)."""
    pod = decode_document(load_documents(textwrap.dedent(text))[0])
    return pod.replace(status=PodStatus(pod_ip=POD_IP, host_ip="172.18.0.3"))


def make_pod(*containers: Container, annotations=None, name="web-0", host_network=False, pod_ip=POD_IP) -> Pod:
    return Pod(
        metadata=ObjectMeta(name=name, namespace="default", annotations=dict(annotations or {})),
        spec=PodSpec(containers=containers, node_name="kind-worker", host_network=host_network),
        status=PodStatus(pod_ip=pod_ip, host_ip="172.18.0.3"),
    )


def make_container(image, command=(), args=(), env=None, name="web", **fields) -> Container:
    env_vars = tuple(EnvVar(name=key, value=value) for key, value in (env or {}).items())
    return Container(name=name, image=image, command=tuple(command), args=tuple(args), env=env_vars, **fields)


def app_of(image, command=(), args=(), env=None, annotations=None, **fields) -> ContainerApp:
    container = make_container(image, command, args, env, **fields)
    return container_app(make_pod(container, annotations=annotations), container)


def sockets(app: ContainerApp) -> list[str]:
    return [str(listener) for listener in app.listeners]


# --------------------------------------------------------------------------- what listens

ROOT_PW = {"MYSQL_ROOT_PASSWORD": "pw"}
PG_PW = {"POSTGRES_PASSWORD": "pw"}

# (sentence, image, command, args, env, annotations, expected sockets)
LISTENERS = [
    ("nginx listens on 80 by default", "nginx:1.27", (), (), None, None, ["0.0.0.0:80/TCP"]),
    ("nginx alpine listens on 80", "nginx:1.27-alpine", (), (), None, None, ["0.0.0.0:80/TCP"]),
    ("nginx named with docker.io/library and a digest is still nginx",
     "docker.io/library/nginx@sha256:0123abcd", (), (), None, None, ["0.0.0.0:80/TCP"]),
    ("nginx-unprivileged listens on 8080", "nginxinc/nginx-unprivileged:1.27", (), (), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("nginx with command sleep listens on nothing", "nginx", ("sleep", "3600"), (), None, None, []),
    ("nginx with args sleep runs sleep through its entrypoint", "nginx", (), ("sleep", "3600"), None, None, []),
    ("httpd listens on 80", "httpd:2.4", (), (), None, None, ["0.0.0.0:80/TCP"]),
    ("mysql 8 listens on 3306 and the X protocol on 33060", "mysql:8.4", (), (), ROOT_PW, None,
     ["0.0.0.0:3306/TCP", "0.0.0.0:33060/TCP"]),
    ("mysql 5.7 has no X plugin", "mysql:5.7", (), (), ROOT_PW, None, ["0.0.0.0:3306/TCP"]),
    ("mysql --port=3307 moves the classic port", "mysql:8.4", (), ("--port=3307",), ROOT_PW, None,
     ["0.0.0.0:3307/TCP", "0.0.0.0:33060/TCP"]),
    ("mariadb listens on 3306 only", "mariadb:11", (), (), {"MARIADB_ROOT_PASSWORD": "pw"}, None,
     ["0.0.0.0:3306/TCP"]),
    ("postgres listens on 5432", "postgres:16", (), (), PG_PW, None, ["0.0.0.0:5432/TCP"]),
    ("postgres -p 5433 in args moves it", "postgres:16", (), ("-p", "5433"), PG_PW, None, ["0.0.0.0:5433/TCP"]),
    ("redis listens on 6379", "redis:7", (), (), None, None, ["0.0.0.0:6379/TCP"]),
    ("redis --port 6380 --bind 127.0.0.1 is loopback only", "redis:7", (), ("--port", "6380", "--bind", "127.0.0.1"),
     None, None, ["127.0.0.1:6380/TCP"]),
    ("influxdb 2 listens on 8086", "influxdb:2.7", (), (), None, None, ["0.0.0.0:8086/TCP"]),
    ("influxdb 1.8 also binds its RPC port on loopback", "influxdb:1.8", (), (), None, None,
     ["0.0.0.0:8086/TCP", "127.0.0.1:8088/TCP"]),
    ("agnhost netexec defaults to 8080/TCP and 8081/UDP", AGNHOST, (), ("netexec",), None, None,
     ["0.0.0.0:8080/TCP", "0.0.0.0:8081/UDP"]),
    ("agnhost netexec --http-port 9090 (space form) moves HTTP", AGNHOST, (), ("netexec", "--http-port", "9090"),
     None, None, ["0.0.0.0:9090/TCP", "0.0.0.0:8081/UDP"]),
    ("agnhost netexec --udp-port=-1 disables UDP", AGNHOST, (), ("netexec", "--udp-port=-1"), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("agnhost netexec --sctp-port adds SCTP", AGNHOST, (), ("netexec", "--sctp-port=9000"), None, None,
     ["0.0.0.0:8080/TCP", "0.0.0.0:8081/UDP", "0.0.0.0:9000/SCTP"]),
    ("agnhost run as command /agnhost netexec works too", AGNHOST, ("/agnhost", "netexec", "--http-port=8000"), (),
     None, None, ["0.0.0.0:8000/TCP", "0.0.0.0:8081/UDP"]),
    ("agnhost from k8s.gcr.io is the same image", "k8s.gcr.io/e2e-test-images/agnhost:2.39", (), ("netexec",),
     None, None, ["0.0.0.0:8080/TCP", "0.0.0.0:8081/UDP"]),
    ("agnhost with no args runs pause and listens on nothing", AGNHOST, (), (), None, None, []),
    ("agnhost serve-hostname listens on 9376", AGNHOST, (), ("serve-hostname",), None, None, ["0.0.0.0:9376/TCP"]),
    ("agnhost serve-hostname --udp --http=false serves UDP", AGNHOST, (), ("serve-hostname", "--udp", "--http=false"),
     None, None, ["0.0.0.0:9376/UDP"]),
    ("the kubelet expands $(PORT) from env in args", AGNHOST, (), ("netexec", "--http-port=$(PORT)", "--udp-port=-1"),
     {"PORT": "7070"}, None, ["0.0.0.0:7070/TCP"]),
    ("http-echo listens on 5678 by default", "hashicorp/http-echo:1.0", (), ("-text=hi",), None, None,
     ["0.0.0.0:5678/TCP"]),
    ("http-echo -listen=:8080 moves it", "hashicorp/http-echo", (), ("-listen=:8080", "-text=hi"), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("http-echo -listen=127.0.0.1:8080 is loopback only", "hashicorp/http-echo", (),
     ("-listen=127.0.0.1:8080", "-text", "hi"), None, None, ["127.0.0.1:8080/TCP"]),
    ("python -m http.server listens on 8000", "python:3.12", ("python", "-m", "http.server"), (), None, None,
     ["0.0.0.0:8000/TCP"]),
    ("python -m http.server 8080 --bind 127.0.0.1 is loopback only", "python:3.12",
     ("python3", "-m", "http.server", "8080", "--bind", "127.0.0.1"), (), None, None, ["127.0.0.1:8080/TCP"]),
    ("python3 -m http.server inside sh -c", "python:3.12-slim", ("sh", "-c", "python3 -m http.server 9000"), (),
     None, None, ["0.0.0.0:9000/TCP"]),
    ("hello-app listens on 8080", "gcr.io/google-samples/hello-app:1.0", (), (), None, None, ["0.0.0.0:8080/TCP"]),
    ("hello-app honours PORT", "gcr.io/google-samples/hello-app:2.0", (), (), {"PORT": "9000"}, None,
     ["0.0.0.0:9000/TCP"]),
    ("traefik/whoami listens on 80", "traefik/whoami", (), (), None, None, ["0.0.0.0:80/TCP"]),
    ("traefik/whoami --port 8080 moves it", "traefik/whoami:v1.10", (), ("--port", "8080"), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("busybox sleep listens on nothing", "busybox:1.36", ("sleep", "3600"), (), None, None, []),
    ("busybox httpd -f -p 8080 listens on 8080", "busybox", ("httpd", "-f", "-p", "8080"), (), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("busybox httpd -p IP:PORT binds that address", "busybox", ("busybox", "httpd", "-f", "-p", "127.0.0.1:8080"), (),
     None, None, ["127.0.0.1:8080/TCP"]),
    ("busybox nc -l -p 8080 listens on 8080", "busybox", ("nc", "-l", "-p", "8080"), (), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("busybox nc -lk -p 8080 listens on 8080", "busybox", ("nc", "-lk", "-p", "8080"), (), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("busybox nc -u -l -p 5353 listens on UDP", "busybox", ("nc", "-u", "-l", "-p", "5353"), (), None, None,
     ["0.0.0.0:5353/UDP"]),
    ("busybox nc -l 8080 takes 8080 as the peer, not the port", "busybox", ("nc", "-l", "8080"), (), None, None, []),
    ("netshoot's OpenBSD nc -l 8080 listens on 8080", "nicolaka/netshoot", ("nc", "-l", "8080"), (), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("a background server kept alive by wait listens", "busybox", ("sh", "-c", "nc -lk -p 8080 & wait"), (),
     None, None, ["0.0.0.0:8080/TCP"]),
    ("a while-true loop around nc keeps listening", "alpine:3.20",
     ("sh", "-c", 'while true; do echo -e "HTTP/1.1 200 OK\\r\\n\\r\\nhi" | nc -l -p 8080; done'), (), None, None,
     ["0.0.0.0:8080/TCP"]),
    ("shell variables reach the command", "busybox", ("sh", "-c", "P=7000; exec nc -lk -p $P"), (), None, None,
     ["0.0.0.0:7000/TCP"]),
    ("curlimages/curl with sleep idles", "curlimages/curl:8.10.1", ("sleep", "infinity"), (), None, None, []),
    ("an unknown image declared by annotation listens where declared", "myorg/api:1.2", (), (), None,
     {"listen.kports.dev/web": "8080/TCP, 127.0.0.1:9000/TCP, 53/UDP"},
     ["0.0.0.0:8080/TCP", "127.0.0.1:9000/TCP", "0.0.0.0:53/UDP"]),
    ("the annotation replaces nginx's own listener", "nginx", (), (), None, {"listen.kports.dev/web": "8080"},
     ["0.0.0.0:8080/TCP"]),
    ("an empty annotation declares that nothing listens", "myorg/api:1.2", (), (), None,
     {"listen.kports.dev/web": ""}, []),
]


@pytest.mark.parametrize(
    "image, command, args, env, annotations, expected", [pytest.param(*row[1:], id=row[0]) for row in LISTENERS]
)
def test_r_cp_1_what_listens_comes_from_the_program(image, command, args, env, annotations, expected):
    """R-CP-1, R-CP-4: the image's program and its flags decide the sockets, not containerPort."""
    app = app_of(image, command, args, env, annotations)
    assert app.known and not app.exits, app.explanation
    assert sockets(app) == expected
    assert all(listener.container == "web" for listener in app.listeners)


# (sentence, image, command, args, env, words the explanation must contain)
EXITS = [
    ("busybox with no command runs sh, which exits at once", "busybox", (), (), None, "reads its commands from stdin"),
    ("ubuntu with no command runs bash, which exits at once", "ubuntu:24.04", (), (), None, "stdin"),
    ("nginx without daemon off forks and its main process returns", "nginx", ("nginx",), (), None, "daemon off"),
    ("mysql without a root password refuses to start", "mysql:8.4", (), (), None, "MYSQL_ROOT_PASSWORD"),
    ("postgres without a password refuses to start", "postgres:16", (), (), None, "POSTGRES_PASSWORD"),
    ("http-echo without -text exits", "hashicorp/http-echo:1.0", (), (), None, "Missing -text option"),
    ("http-echo -listen=8080 has no colon and exits", "hashicorp/http-echo", (), ("-listen=8080", "-text=hi"), None,
     "missing port in address"),
    ("serve-hostname --udp with HTTP left on exits", AGNHOST, (), ("serve-hostname", "--udp"), None,
     "Can't server TCP/UDP mode and HTTP mode at the same time"),
    ("agnhost with an unknown flag exits", AGNHOST, (), ("netexec", "--bogus=1"), None, "unknown flag: --bogus"),
    ("agnhost with an unknown subcommand exits", AGNHOST, (), ("bogus",), None, 'unknown command "bogus"'),
    ("python with a non-numeric port exits", "python:3.12", ("python", "-m", "http.server", "abc"), (), None,
     "invalid int value: 'abc'"),
    ("nc is not installed in debian", "debian:12", ("nc", "-l", "-p", "8080"), (), None,
     'exec: "nc": executable file not found in $PATH'),
    ("python is not installed in busybox", "busybox", ("sh", "-c", "python -m http.server"), (), None,
     "sh: python: not found"),
    ("busybox httpd without -f daemonises", "busybox", ("httpd", "-p", "8080"), (), None, "without -f"),
    ("a server started in the background dies with the script", "busybox", ("sh", "-c", "nc -lk -p 8080 &"), (),
     None, "ends with it"),
    ("curlimages/curl with no command runs curl and exits", "curlimages/curl", (), (), None, "exits"),
    ("traefik/whoami is FROM scratch: there is no sh to run", "traefik/whoami", ("sh", "-c", "sleep 1d"), (), None,
     'exec: "sh": executable file not found in $PATH'),
    ("a broken shell quote is a syntax error", "busybox", ("sh", "-c", 'echo "oops'), (), None, "syntax error"),
]


@pytest.mark.parametrize("image, command, args, env, words", [pytest.param(*row[1:], id=row[0]) for row in EXITS])
def test_main_process_that_exits_listens_on_nothing(image, command, args, env, words):
    """An exiting main process leaves a completed container (CrashLoopBackOff under Always)."""
    app = app_of(image, command, args, env)
    assert app.exits and app.known and app.listeners == ()
    assert words in app.explanation
    assert "CrashLoopBackOff" in app.explanation


def test_busybox_with_stdin_true_waits_instead_of_exiting():
    app = app_of("busybox", stdin=True)
    assert not app.exits and app.listeners == () and app.app == "idle"


def test_failing_server_keeps_its_name():
    assert app_of("mysql:8.4").app == "mysql"
    assert app_of("nginx", ("nginx",)).app == "nginx"


def test_explanation_is_one_learner_facing_sentence():
    assert app_of("nginx:1.27").explanation == (
        "nginx listens on 0.0.0.0:80/TCP (its default configuration); containerPort does not change that"
    )
    assert app_of("busybox", ("sleep", "3600")).explanation == "`sleep 3600` listens on nothing"


# --------------------------------------------------------------------------- R-CP-1, R-CP-4


@pytest.mark.parametrize(
    "ports",
    [(), (ContainerPort(container_port=80),), (ContainerPort(container_port=9999, name="web"),)],
    ids=["no ports", "containerPort 80", "containerPort 9999"],
)
def test_r_cp_1_container_port_does_not_change_what_listens(ports):
    app = app_of(AGNHOST, args=("netexec", "--http-port=8080"), ports=ports)
    assert sockets(app) == ["0.0.0.0:8080/TCP", "0.0.0.0:8081/UDP"]
    assert "containerPort does not change that" in app.explanation


def test_r_cp_1_s21_liar_declares_80_but_agnhost_listens_on_8080():
    pod = manifest(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: liar, labels: {app: liar}}
        spec:
          containers:
          - name: web
            image: "registry.k8s.io/e2e-test-images/agnhost:2.53"
            args: ["netexec", "--http-port=8080"]
            ports: [{containerPort: 80}]
        """
    )
    (app,) = pod_apps(pod)
    assert [listener.port for listener in app.listeners if listener.protocol == "TCP"] == [8080]


def test_r_cp_4_bind_127_0_0_1_gives_a_loopback_listener_the_kubelet_cannot_reach():
    container = make_container("python:3.12", ("python", "-m", "http.server", "8080", "--bind", "127.0.0.1"))
    pod = make_pod(container)
    assert container_app(pod, container).listeners == (Listener("TCP", 8080, "127.0.0.1", "web"),)
    ok, reason = probe_result(pod, container, {"httpGet": {"port": 8080}}, probe_type="Readiness")
    assert not ok
    assert reason == (
        'Readiness probe failed: Get "http://10.244.1.2:8080/": dial tcp 10.244.1.2:8080: connect: connection refused'
    )


# --------------------------------------------------------------------------- R-CP-3, R-HN-3

S36 = """
apiVersion: v1
kind: Pod
metadata: {name: twonginx}
spec:
  containers:
  - {name: nginx1, image: "nginx:1.27", ports: [{containerPort: 80}]}
  - {name: nginx2, image: "nginx:1.27", ports: [{containerPort: 80}]}
"""


@pytest.mark.parametrize("text", [S36, S36.replace(", ports: [{containerPort: 80}]", "")],
                         ids=["with ports", "ports dropped"])
def test_r_cp_3_s36_second_nginx_fails_to_bind_with_nginx_log_line(text):
    apps = pod_apps(manifest(text))
    assert [app.container for app in apps] == ["nginx1", "nginx2"]
    ((loser, contested, holder),) = bind_conflicts(apps)
    assert (loser.container, holder.container) == ("nginx2", "nginx1")
    assert contested == Listener("TCP", 80, "0.0.0.0", "nginx2")
    assert bind_failure_log(loser, contested) == "bind() to 0.0.0.0:80 failed (98: Address already in use)"


def _declared(name: str, sockets_text: str) -> ContainerApp:
    container = make_container("example/app", name=name)
    pod = make_pod(container, annotations={f"listen.kports.dev/{name}": sockets_text})
    return container_app(pod, container)


# (sentence, first app's sockets, second app's sockets, second fails)
BINDS = [
    ("0.0.0.0 conflicts with a specific address on the same port", "80/TCP", "10.244.1.2:80/TCP", True),
    ("a specific address conflicts with a later 0.0.0.0", "127.0.0.1:80/TCP", "80/TCP", True),
    ("the same specific address conflicts", "127.0.0.1:80/TCP", "127.0.0.1:80/TCP", True),
    ("two different specific addresses do not conflict", "127.0.0.1:80/TCP", "10.244.1.2:80/TCP", False),
    ("TCP and UDP on the same port do not conflict", "53/TCP", "53/UDP", False),
    ("different ports do not conflict", "80/TCP", "8080/TCP", False),
    ("UDP conflicts with UDP", "53/UDP", "53/UDP", True),
]


@pytest.mark.parametrize("first, second, fails", [pytest.param(*row[1:], id=row[0]) for row in BINDS])
def test_r_cp_3_bind_rules(first, second, fails):
    conflicts = bind_conflicts([_declared("a", first), _declared("b", second)])
    assert bool(conflicts) == fails


def test_r_cp_3_a_loser_releases_its_other_ports():
    first, second, third = _declared("a", "80/TCP"), _declared("b", "80/TCP, 9000/TCP"), _declared("c", "9000/TCP")
    conflicts = bind_conflicts([first, second, third])
    assert [(loser.container, holder.container) for loser, _, holder in conflicts] == [("b", "a")]


def test_r_hn_3_s37d_two_host_network_agnhost_pods_on_one_node_collide():
    apps = []
    for name in ("hn", "hn2"):
        container = make_container(AGNHOST, args=("netexec", "--http-port=8080"))
        apps.extend(pod_apps(make_pod(container, name=name, host_network=True, pod_ip="172.18.0.3")))
    ((loser, contested, holder),) = bind_conflicts(apps)
    assert loser is apps[1] and holder is apps[0]
    assert bind_failure_log(loser, contested) == "listen tcp :8080: bind: address already in use"


@pytest.mark.parametrize(
    "image, command, args, env, log",
    [
        pytest.param("httpd", (), (), None,
                     "(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80", id="httpd"),
        pytest.param("redis", (), (), None,
                     "Warning: Could not create server TCP listening socket *:6379: bind: Address already in use",
                     id="redis"),
        pytest.param("python:3.12", ("python", "-m", "http.server"), (), None,
                     "OSError: [Errno 98] Address already in use", id="python"),
        pytest.param("hashicorp/http-echo", (), ("-text=x",), None,
                     "[ERR] server exited with: listen tcp :5678: bind: address already in use", id="http-echo"),
        pytest.param("busybox", ("nc", "-lk", "-p", "80"), (), None, "nc: bind: Address already in use", id="nc"),
    ],
)
def test_bind_failure_log_speaks_like_each_program(image, command, args, env, log):
    app = app_of(image, command, args, env)
    assert bind_failure_log(app, app.listeners[0]) == log


# --------------------------------------------------------------------------- answers


def ask(app: ContainerApp, path: str = "/", protocol: str = "TCP", port: int | None = None) -> Reply:
    listener = next(l for l in app.listeners if l.protocol == protocol and port in (None, l.port))
    request = Request(protocol, path, f"{POD_IP}:{listener.port}", "10.244.2.7", 43210, POD_IP, listener.port,
                      "web-0", "default", "kind-worker", "web-0")
    return answer(app, listener, request)


NGINX_404 = (
    "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    "<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.3</center>\r\n</body>\r\n</html>\r\n"
)
PYTHON_LISTING = (
    '<!DOCTYPE HTML>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Directory listing for /</title>\n'
    "</head>\n<body>\n<h1>Directory listing for /</h1>\n<hr>\n<ul>\n</ul>\n<hr>\n</body>\n</html>\n"
)
HTTP09 = Reply(1, "", "curl: (1) Received HTTP/0.9 when not allowed", None)
EMPTY = Reply(52, "", "curl: (52) Empty reply from server", None)
NC_HTTP = 'while true; do printf "HTTP/1.1 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nhi\\n" | nc -l -p 8080; done'

# (sentence, image, command, args, env, annotations, path, protocol, port, expected reply)
ANSWERS = [
    ("nginx serves its welcome page on /", "nginx:1.27.3", (), (), None, None, "/", "TCP", None,
     Reply(0, NGINX_WELCOME, "", 200)),
    ("nginx answers other paths with its 404 page", "nginx:1.27.3", (), (), None, None, "/nope", "TCP", None,
     Reply(0, NGINX_404, "", 404)),
    ("httpd says it works", "httpd", (), (), None, None, "/", "TCP", None,
     Reply(0, "<html><body><h1>It works!</h1></body></html>\n", "", 200)),
    ("httpd answers other paths with its 404 page", "httpd", (), (), None, None, "/x", "TCP", None,
     Reply(0, HTTPD_404, "", 404)),
    ("mysql speaks first: curl exits 1", "mysql:8.4", (), (), ROOT_PW, None, "/", "TCP", 3306, HTTP09),
    ("mysql's X protocol closes: empty reply", "mysql:8.4", (), (), ROOT_PW, None, "/", "TCP", 33060, EMPTY),
    ("postgres drops the bad startup packet: empty reply", "postgres", (), (), PG_PW, None, "/", "TCP", None, EMPTY),
    ("redis aborts on Host: empty reply", "redis", (), (), None, None, "/", "TCP", None, EMPTY),
    ("influxdb /ping is 204", "influxdb:1.8", (), (), None, None, "/ping", "TCP", 8086, Reply(0, "", "", 204)),
    ("influxdb / is Go's 404", "influxdb:1.8", (), (), None, None, "/", "TCP", 8086,
     Reply(0, "404 page not found\n", "", 404)),
    ("netexec /hostname is the hostname", AGNHOST, (), ("netexec",), None, None, "/hostname", "TCP", None,
     Reply(0, "web-0", "", 200)),
    ("netexec /clientip is the caller's ip:port", AGNHOST, (), ("netexec",), None, None, "/clientip", "TCP", None,
     Reply(0, "10.244.2.7:43210", "", 200)),
    ("netexec /echo returns msg", AGNHOST, (), ("netexec",), None, None, "/echo?msg=hi%20there", "TCP", None,
     Reply(0, "hi there", "", 200)),
    ("netexec /echo with code sets the status", AGNHOST, (), ("netexec",), None, None, "/echo?msg=x&code=503", "TCP",
     None, Reply(0, "x", "", 503)),
    ("netexec /healthz is 200 while UDP runs", AGNHOST, (), ("netexec",), None, None, "/healthz", "TCP", None,
     Reply(0, "", "", 200)),
    ("netexec /healthz is 412 with UDP disabled", AGNHOST, (), ("netexec", "--udp-port=-1"), None, None, "/healthz",
     "TCP", None, Reply(0, "", "", 412)),
    ("netexec / has a fixed documented body", AGNHOST, (), ("netexec",), None, None, "/", "TCP", None,
     Reply(0, NETEXEC_ROOT, "", 200)),
    ("netexec /shutdown kills the process: empty reply", AGNHOST, (), ("netexec",), None, None, "/shutdown", "TCP",
     None, EMPTY),
    ("netexec UDP hostname", AGNHOST, (), ("netexec",), None, None, "hostname", "UDP", None,
     Reply(0, "web-0", "", None)),
    ("netexec UDP echo lower-cases", AGNHOST, (), ("netexec",), None, None, "echo Hello\n", "UDP", None,
     Reply(0, "hello", "", None)),
    ("netexec UDP clientip", AGNHOST, (), ("netexec",), None, None, "clientip", "UDP", None,
     Reply(0, "10.244.2.7:43210", "", None)),
    ("netexec UDP ignores unknown commands", AGNHOST, (), ("netexec",), None, None, "bogus", "UDP", None,
     Reply(0, "", "", None)),
    ("netexec over TLS answers plain HTTP with 400", AGNHOST, (), ("netexec", "--tls-cert-file=/localhost.crt"), None,
     None, "/", "TCP", None, Reply(0, "Client sent an HTTP request to an HTTPS server.\n", "", 400)),
    ("serve-hostname answers its hostname on any path", AGNHOST, (), ("serve-hostname",), None, None, "/x", "TCP",
     None, Reply(0, "web-0", "", 200)),
    ("serve-hostname --tcp is raw text: curl exits 1", AGNHOST, (), ("serve-hostname", "--tcp", "--http=false"), None,
     None, "/", "TCP", None, HTTP09),
    ("http-echo answers its text and a newline", "hashicorp/http-echo", (), ("-text=hello world",), None, None, "/x",
     "TCP", None, Reply(0, "hello world\n", "", 200)),
    ("http-echo /health is JSON", "hashicorp/http-echo", (), ("-text=x",), None, None, "/health", "TCP", None,
     Reply(0, '{"status":"ok"}\n', "", 200)),
    ("http-echo -status-code sets the status", "hashicorp/http-echo:1.0", (), ("-text=down", "-status-code=503"), None,
     None, "/", "TCP", None, Reply(0, "down\n", "", 503)),
    ("python http.server lists / (no files are modelled)", "python:3.12", ("python", "-m", "http.server"), (), None,
     None, "/", "TCP", None, Reply(0, PYTHON_LISTING, "", 200)),
    ("hello-app says hello with its version and hostname", "gcr.io/google-samples/hello-app:1.0", (), (), None, None,
     "/", "TCP", None, Reply(0, "Hello, world!\nVersion: 1.0.0\nHostname: web-0\n", "", 200)),
    ("whoami prints Hostname, IP, RemoteAddr and the request", "traefik/whoami", (), (), None, None, "/?a=1", "TCP",
     None, Reply(0, "Hostname: web-0\nIP: 127.0.0.1\nIP: 10.244.1.2\nRemoteAddr: 10.244.2.7:43210\n"
                    "GET /?a=1 HTTP/1.1\r\nHost: 10.244.1.2:80\r\nUser-Agent: curl/8.11.1\r\nAccept: */*\r\n\r\n",
                 "", 200)),
    ("busybox httpd has no index.html: 404", "busybox", ("httpd", "-f", "-p", "8080"), (), None, None, "/", "TCP", None,
     Reply(0, "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\n"
              "The requested URL was not found\n</BODY></HTML>\n", "", 404)),
    ("nc sends the HTTP response piped into it", "busybox", ("sh", "-c", NC_HTTP), (), None, None, "/", "TCP", None,
     Reply(0, "hi\n", "", 200)),
    ("nc with nothing piped in: empty reply", "busybox", ("nc", "-l", "-p", "8080"), (), None, None, "/", "TCP", None,
     EMPTY),
    ("a declared unknown app answers its hostname", "myorg/api", (), (), None, {"listen.kports.dev/web": "8080/TCP"},
     "/anything", "TCP", None, Reply(0, "web-0\n", "", 200)),
]


@pytest.mark.parametrize(
    "image, command, args, env, annotations, path, protocol, port, expected",
    [pytest.param(*row[1:], id=row[0]) for row in ANSWERS],
)
def test_what_each_app_answers(image, command, args, env, annotations, path, protocol, port, expected):
    """The exact bytes curl prints (R-C-1: exit 0 for HTTP, 1 for a server that speaks first, 52 empty)."""
    assert ask(app_of(image, command, args, env, annotations), path, protocol, port) == expected


def test_nginx_welcome_page_is_the_real_615_bytes():
    assert len(NGINX_WELCOME.encode()) == 615
    assert "<title>Welcome to nginx!</title>" in NGINX_WELCOME


def test_host_network_pods_answer_with_the_node_name():
    container = make_container(AGNHOST, args=("netexec",))
    pod = make_pod(container, host_network=True, pod_ip="172.18.0.3")
    assert pod_hostname(pod) == "kind-worker"
    assert pod_hostname(make_pod(container, name="x" * 70)) == "x" * 63


# --------------------------------------------------------------------------- probes


def probe(container: Container, spec, probe_type="Readiness", annotations=None):
    return probe_result(make_pod(container, annotations=annotations), container, spec, probe_type=probe_type)


def test_s19_exec_bin_false_never_succeeds():
    pod = manifest(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: slow, labels: {app: slow}}
        spec:
          containers:
          - name: web
            image: "registry.k8s.io/e2e-test-images/agnhost:2.53"
            args: ["netexec", "--http-port=8080"]
            readinessProbe: {exec: {command: ["/bin/false"]}}
        """
    )
    container = pod.spec.containers[0]
    assert probe_result(pod, container, container.readiness_probe) == (False, "Readiness probe failed: ")


@pytest.mark.parametrize(
    "command, ok, reason",
    [
        (["false"], False, "Readiness probe failed: "),
        (["sh", "-c", "exit 1"], False, "Readiness probe failed: "),
        (["sh", "-c", "echo not ready; exit 3"], False, "Readiness probe failed: not ready\n"),
        (["exit", "1"], False, 'Readiness probe errored and resulted in unknown state: '
                               'exec: "exit": executable file not found in $PATH'),
        (["cat", "/tmp/healthy"], True, 'exec probe ["cat", "/tmp/healthy"] is assumed to succeed: '
                                         "the simulator does not run commands inside containers"),
        (["sh", "-c", "exit 0"], True, 'exec probe ["sh", "-c", "exit 0"] is assumed to succeed: '
                                        "the simulator does not run commands inside containers"),
    ],
)
def test_exec_probes_fail_only_when_they_can_never_succeed(command, ok, reason):
    assert probe(make_container(AGNHOST, args=("netexec",)), {"exec": {"command": command}}) == (ok, reason)


def test_http_get_to_the_right_port_succeeds():
    ok, reason = probe(make_container(AGNHOST, args=("netexec",)), {"httpGet": {"port": 8080, "path": "/healthz"}})
    assert ok and reason.startswith("HTTP probe succeeded with statuscode: 200")


def test_http_get_to_the_wrong_port_fails_with_the_kubelet_message():
    ok, reason = probe(make_container(AGNHOST, args=("netexec",)), {"httpGet": {"port": 8081, "path": "/"}})
    assert (ok, reason) == (
        False,
        'Readiness probe failed: Get "http://10.244.1.2:8081/": dial tcp 10.244.1.2:8081: connect: connection refused',
    )


def test_http_get_by_container_port_name_resolves_in_this_container():
    container = make_container(AGNHOST, args=("netexec",), ports=(ContainerPort(name="http", container_port=8080),))
    assert probe(container, {"httpGet": {"port": "http", "path": "/hostname"}})[0]
    assert probe(container, {"httpGet": {"port": "web"}}) == (
        False, 'Readiness probe errored and resulted in unknown state: strconv.Atoi: parsing "web": invalid syntax'
    )


def test_http_get_fails_on_a_404_and_on_a_server_that_speaks_first():
    assert probe(make_container("nginx"), {"httpGet": {"port": 80, "path": "/missing"}}, "Liveness") == (
        False, "Liveness probe failed: HTTP probe failed with statuscode: 404"
    )
    ok, reason = probe(make_container("mysql", env=ROOT_PW), {"httpGet": {"port": 3306}})
    assert not ok and "malformed HTTP response" in reason


def test_tcp_socket_succeeds_iff_something_listens():
    mysql = make_container("mysql:8.4", env=ROOT_PW)
    assert probe(mysql, {"tcpSocket": {"port": 3306}})[0]
    assert probe(mysql, {"tcpSocket": {"port": 3307}}) == (
        False, "Readiness probe failed: dial tcp 10.244.1.2:3307: connect: connection refused"
    )


def test_grpc_probe_fails_on_a_listener_that_is_not_a_grpc_server():
    netexec = make_container(AGNHOST, args=("netexec",))
    expected = ('Startup probe failed: timeout: failed to connect service "10.244.1.2:8080" within 1s: '
                "context deadline exceeded")
    assert probe(netexec, {"grpc": {"port": 8080}}, "Startup") == (False, expected)
    declared = make_container("example/grpc-server")
    ok, reason = probe(declared, {"grpc": {"port": 9000}}, annotations={"listen.kports.dev/web": "9000"})
    assert ok and "cannot know" in reason


def test_probe_type_is_inferred_from_the_container_field():
    container = make_container("nginx", liveness_probe={"httpGet": {"port": 81}})
    ok, reason = probe_result(make_pod(container), container, container.liveness_probe)
    assert not ok and reason.startswith("Liveness probe failed: ")


def test_a_probe_on_a_container_that_is_not_running_fails():
    apps = manifest(S36)
    nginx2 = apps.spec.containers[1]
    ok, reason = probe_result(apps, nginx2, {"tcpSocket": {"port": 80}}, probe_type="Readiness")
    assert not ok and "bind() to 0.0.0.0:80 failed" in reason


def test_a_probe_against_an_unknown_image_says_it_cannot_know():
    ok, reason = probe(make_container("myorg/api:1.2"), {"httpGet": {"port": 8080}})
    assert ok and "cannot know" in reason and "listen.kports.dev/web" in reason


def test_no_probe_passes():
    assert probe(make_container("nginx"), None)[0]


# --------------------------------------------------------------------------- unknown images, annotation


def test_unknown_image_is_not_known_and_tells_how_to_declare_it():
    app = app_of("myorg/api:1.2")
    assert (app.known, app.app, app.listeners) == (False, "unknown", ())
    assert 'listen.kports.dev/web: "8080/TCP"' in app.explanation
    assert "[ADDR:]PORT/PROTO" in app.explanation


def test_a_script_the_simulator_cannot_read_is_not_known():
    app = app_of("busybox", ("sh", "/scripts/start.sh"))
    assert not app.known and "listen.kports.dev/web" in app.explanation


def test_a_command_substitution_in_a_port_is_not_guessed_but_one_in_echo_does_not_matter():
    hidden = app_of("busybox", ("sh", "-c", "nc -lk -p $(cat /etc/port)"))
    assert not hidden.known and "$(cat /etc/port)" in hidden.explanation
    harmless = app_of("busybox", ("sh", "-c", "echo started at $(date); nc -lk -p 8080"))
    assert harmless.known and sockets(harmless) == ["0.0.0.0:8080/TCP"]


def test_value_from_in_args_is_not_guessed():
    container = Container(
        name="web", image=AGNHOST, args=("netexec", "--http-port=$(PORT)"),
        env=(EnvVar(name="PORT", value_from={"configMapKeyRef": {"name": "cfg", "key": "port"}}),),
    )
    app = container_app(make_pod(container), container)
    assert not app.known and "valueFrom" in app.explanation


@pytest.mark.parametrize(
    "value, message",
    [
        ("8080/tcp", 'metadata.annotations[listen.kports.dev/web]: Unsupported value: "tcp": '
                     'supported values: "SCTP", "TCP", "UDP"'),
        ("70000/TCP", 'metadata.annotations[listen.kports.dev/web]: Invalid value: "70000/TCP": '
                      "port must be between 1 and 65535, inclusive"),
        ("http/TCP", 'metadata.annotations[listen.kports.dev/web]: Invalid value: "http/TCP": '
                     "port must be a number between 1 and 65535"),
        ("localhost:80/TCP", 'metadata.annotations[listen.kports.dev/web]: Invalid value: "localhost:80/TCP": '
                             "address must be an IPv4 address such as 0.0.0.0 or 127.0.0.1"),
        ("80/TCP, 127.0.0.1:80/TCP", 'metadata.annotations[listen.kports.dev/web]: Duplicate value: '
                                     '"127.0.0.1:80/TCP": 0.0.0.0:80/TCP already takes that port'),
    ],
)
def test_annotation_errors_are_clear_messages(value, message):
    with pytest.raises(ListenAnnotationError) as caught:
        parse_listen_annotation(value, "web")
    assert caught.value.problems == [message]
    app = app_of("nginx", annotations={"listen.kports.dev/web": value})
    assert not app.known and message in app.explanation and "[ADDR:]PORT/PROTO" in app.explanation


def test_annotation_forms_parse():
    assert parse_listen_annotation(" 8080 , :9000/UDP, *:53/SCTP, 10.244.1.2:81/TCP,", "api") == (
        Listener("TCP", 8080, "0.0.0.0", "api"),
        Listener("UDP", 9000, "0.0.0.0", "api"),
        Listener("SCTP", 53, "0.0.0.0", "api"),
        Listener("TCP", 81, "10.244.1.2", "api"),
    )


def test_annotation_for_a_container_the_pod_does_not_have_is_reported():
    pod = make_pod(make_container("nginx"), annotations={"listen.kports.dev/wbe": "80", "other": "x"})
    assert listen_annotation_problems(pod) == [
        'metadata.annotations[listen.kports.dev/wbe]: Not found: "wbe": the pod has no container of that name '
        "(containers: web)"
    ]


def test_annotation_cannot_make_an_exiting_container_listen():
    app = app_of("busybox", annotations={"listen.kports.dev/web": "8080"})
    assert app.exits and app.listeners == () and "cannot make a container that exits listen" in app.explanation


@settings(max_examples=150, deadline=None)
@given(value=st.text(max_size=40))
def test_any_annotation_value_gives_an_app_never_an_exception(value):
    app = app_of("myorg/api", annotations={"listen.kports.dev/web": value})
    assert isinstance(app, ContainerApp) and app.explanation


@settings(max_examples=150, deadline=None)
@given(script=st.text(alphabet=st.sampled_from(list("nc -lpk8&|;\"'$(){}\nwhiletruedosleep0")), max_size=40))
def test_any_shell_script_gives_an_app_never_an_exception(script):
    app = app_of("busybox", ("sh", "-c", script))
    assert isinstance(app, ContainerApp) and app.explanation


# --------------------------------------------------------------------------- API surface


def test_public_api_is_exactly_the_documented_names():
    assert sorted(apps_api.__all__) == apps_api.__all__
    for name in ("Listener", "ContainerApp", "Request", "Reply", "container_app", "pod_apps", "bind_conflicts",
                 "bind_failure_log", "answer", "probe_result"):
        assert getattr(apps_api, name) is not None


def test_apps_are_frozen_and_compare_by_their_public_fields():
    first, second = app_of("nginx:1.27"), app_of("nginx:1.27")
    assert first == second and hash(first) == hash(second)
    with pytest.raises(AttributeError):
        first.app = "other"  # type: ignore[misc]
