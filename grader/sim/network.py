"""The simulated cluster's network as the packet walker sees it: hosts, addresses, routes, sockets.

A :class:`Network` is a snapshot built from the cluster's state: the outside client (the docker
host), every node (with its kube-proxy / portmap / kindnet rules, built lazily), every running
pod with its own network namespace (hostNetwork pods are processes of their node), and the
sockets each application really listens on (:mod:`grader.sim.apps`, R-CP-1). Routing follows
kind's kindnet: pods reach everything through their node; nodes route each other's pod /24s;
the outside client reaches node IPs only. Unknown destinations leave by the default route and
are lost (the client times out).

LoadBalancer IPs exist only when the cluster runs the optional
:class:`~grader.sim.controllers.loadbalancer.LoadBalancerController` (MetalLB in layer-2 mode):
the node that announces an IP receives the outside client's packets for it (it answers ARP on
the kind network), and kube-proxy's ``KUBE-SERVICES -d <LB IP>`` rules on that node take over
(R-EX-2). The IP is on no interface, so a port kube-proxy does not program is lost, and an IP
nobody announces (no ready endpoint) is unreachable from outside. Pods and nodes never need the
announcement: their own node's kube-proxy rewrites the packet first. externalIPs are not
routed at all (R-EX-1): only an address some node owns reaches that node from outside.

It implements :class:`grader.sim.dataplane.Fabric`; :mod:`grader.sim.probe` drives it.
"""

from __future__ import annotations

import json
import weakref
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from grader.model.drafts import constructor
from grader.model.objects import EndpointSlice, Pod, Service
from grader.records import frozen
from grader.sim import apps as appcat
from grader.sim import dataplane
from grader.sim.clock import EPOCH
from grader.sim.controllers import paused_gc
from grader.sim.controllers.loadbalancer import LoadBalancerController
from grader.sim.dataplane import Ending, Packet, Route, Walk, in_cidr
from grader.sim.netfilter import RuleSet
from grader.sim.proxy import rules as proxy_rules
from grader.sim.proxy.kubeproxy import LABEL_HEADLESS, LABEL_SERVICE_PROXY_NAME, is_proxied

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster
    from grader.sim.probe import Source, Target

__all__ = ["Network", "Socket", "host_label"]

OUTSIDE = "outside"


def host_label(host: str) -> str:
    """``node:kind-worker`` -> ``kind-worker``; ``pod:default/web`` -> ``pod web``."""
    kind, _, name = host.partition(":")
    if kind == "node":
        return name
    if kind == "pod":
        ns, _, pod = name.partition("/")
        return f"pod {pod}" if ns == "default" else f"pod {ns}/{pod}"
    return "outside"


@frozen
class Socket:
    """A listening socket and who owns it: a pod's container app, or kube-proxy's health server."""

    listener: appcat.Listener
    pod: Pod | None = None
    app: appcat.ContainerApp | None = None
    service: Service | None = None  # kube-proxy health check for this Service

    def accepts(self, protocol: str, address: str, port: int) -> bool:
        ln = self.listener
        return ln.protocol == protocol and ln.port == port and ln.address in ("0.0.0.0", "::", address)


def _pod_sockets(pod: Pod) -> tuple[Socket, ...]:
    """The sockets of a running pod's running containers (none for a pod that does not run)."""
    if not pod.spec.node_name or not pod.status.pod_ip or pod.status.phase != "Running":
        return ()
    running = _running(pod)
    return tuple([
        _new_socket(ln, pod, app)
        for app in appcat.shared_pod_apps(pod) if app.container in running
        for ln in app.listeners
    ])


_new_socket = constructor(Socket)
_POD_SOCKETS: "weakref.WeakKeyDictionary[Cluster, tuple[dict, dict]]" = weakref.WeakKeyDictionary()
"""Per cluster, each pod (by key) and its sockets at the last snapshot: a stored pod object never
changes, so the next snapshot reuses them for every pod still stored as the very same object."""


def _running(pod: Pod) -> set[str]:
    running = set()
    for status in pod.status.container_statuses:
        state = status.state if isinstance(status.state, dict) else {}
        if "running" in state:
            running.add(status.name)
    return running


class Network:
    """One consistent view of the network, valid until the cluster changes."""

    def __init__(self, cluster: "Cluster") -> None:
        self.cluster = cluster
        topo = cluster.topology
        self.nodes = {n.name: n for n in topo.nodes}
        self.node_by_ip = {n.ip: n.name for n in topo.nodes}
        self.gateways = {n.name: _gateway(n.pod_cidr) for n in topo.nodes}
        self.pods: dict[str, Pod] = {}
        self.pod_by_ip: dict[str, str] = {}
        self.sockets: dict[str, list[Socket]] = {f"node:{n}": [] for n in self.nodes}
        self._rules: dict[str, RuleSet] = {}
        self._indexes: dict = {}
        self._scratch_recent: dict | None = None
        self._rules_by_profile: dict[tuple, RuleSet] = {}
        self._endpoints: dict[str, dict] | None = None
        self._services: tuple[Service, ...] = ()
        self._local_policy: tuple[Service, ...] = ()
        self._pods_by_node: dict[str, list[Pod]] | None = None
        self._source_ranges: tuple[tuple[str, ...], ...] = ()
        self._ignored_cluster_ips: dict[str, Service] | None = None
        self._local: dict[str, frozenset[str]] = {}
        self.load_balancer = _load_balancer(cluster)
        previous_pods, previous_sockets = _POD_SOCKETS.get(cluster, ({}, {}))
        pods: dict[tuple[str, str], Pod] = {}
        sockets: dict[tuple[str, str], tuple[Socket, ...]] = {}
        for key, pod in cluster.registry.by_key(Pod).items():
            found = previous_sockets.get(key) if previous_pods.get(key) is pod else None
            if found is None:
                found = _pod_sockets(pod)
            pods[key] = pod
            sockets[key] = found
            self._add_pod(pod, found)
        _POD_SOCKETS[cluster] = (pods, sockets)
        self._add_health_checks()

    # ------------------------------------------------------------------ building

    def _add_pod(self, pod: Pod, sockets: tuple[Socket, ...]) -> None:
        spec, status = pod.spec, pod.status
        node = spec.node_name
        if not node or node not in self.nodes or not status.pod_ip or status.phase != "Running":
            return
        if spec.host_network:
            self.sockets[f"node:{node}"].extend(sockets)
            return
        meta = pod.metadata
        host = f"pod:{meta.namespace}/{meta.name}"
        self.pods[host] = pod
        self.pod_by_ip[status.pod_ip] = host
        self.sockets[host] = list(sockets)

    def _add_health_checks(self) -> None:
        """kube-proxy serves ``/healthz`` on each LoadBalancer+Local Service's healthCheckNodePort (R-TP-3)."""
        for svc in self.cluster.registry.iter(Service):
            port = svc.spec.health_check_node_port
            if not port or not is_proxied(svc):
                continue
            for node in self.nodes:
                listener = appcat.Listener("TCP", port, "0.0.0.0", "kube-proxy")
                self.sockets[f"node:{node}"].append(Socket(listener, service=svc))

    # ------------------------------------------------------------------ Fabric

    def kind(self, host: str) -> str:
        return host.partition(":")[0]

    def label(self, host: str) -> str:
        return host_label(host)

    def rules(self, host: str) -> RuleSet | None:
        """A node's rule set. Nodes that would get identical rules share one build.

        kube-proxy writes the same rules on every node except for Services with a Local
        traffic policy (which endpoints are local) and the CNI portmap rules of the node's own
        hostPort pods, and ``loadBalancerSourceRanges`` that contain the node's own IP (kube-proxy
        then also admits the LB IPs as sources); nodes that agree on those get the same tables,
        built once.
        """
        if not host.startswith("node:"):
            return None
        node = host[5:]
        found = self._rules.get(node)
        if found is None:
            with paused_gc():
                profile = self._profile(node)
                shared = self._rules_by_profile.get(profile)
                if shared is None:
                    shared = self._rules_by_profile[profile] = proxy_rules.build_node_rules(self.proxy_inputs(node))
            found = self._rules[node] = RuleSet(node, shared.nat, shared.filter)
        return found

    def _service_endpoints(self) -> dict[str, dict]:
        """Every Service's endpoints per port, read from the EndpointSlices once per snapshot."""
        if self._endpoints is None:
            slices: dict[tuple[str, str], list[EndpointSlice]] = {}
            for sl in self.cluster.registry.iter(EndpointSlice):
                owner = sl.metadata.labels.get("kubernetes.io/service-name", "")
                slices.setdefault((sl.metadata.namespace, owner), []).append(sl)
            self._services = tuple(self.cluster.registry.list(Service, None))
            self._endpoints = {
                f"{svc.namespace}/{svc.name}": proxy_rules.endpoints_from_slices(
                    svc, slices.get((svc.namespace, svc.name), ()))
                for svc in self._services
            }
            self._local_policy = tuple(
                svc for svc in self._services
                if svc.spec.external_traffic_policy == "Local" or svc.spec.internal_traffic_policy == "Local"
            )
            self._source_ranges = tuple(
                tuple(svc.spec.load_balancer_source_ranges) for svc in self._services
                if svc.spec.load_balancer_source_ranges and svc.status.load_balancer.ingress
            )
        return self._endpoints

    def _host_port_pods(self, node: str) -> tuple[Pod, ...]:
        return tuple(
            pod for pod in self.pods_on(node)
            if any(p.host_port for c in pod.spec.containers for p in c.ports)
        )

    def _profile(self, node: str) -> tuple:
        """What makes a node's rules differ from another node's (see :meth:`rules`)."""
        endpoints = self._service_endpoints()
        local = []
        for svc in self._local_policy:
            key = f"{svc.namespace}/{svc.name}"
            mine = sorted(str(ep) for eps in endpoints.get(key, {}).values() for ep in eps if ep.node_name == node)
            local.append((key, tuple(mine)))
        host_ports = tuple(f"{p.namespace}/{p.name}" for p in self._host_port_pods(node))
        ip = self.nodes[node].ip
        ranges = tuple(any(_contains(cidr, ip) for cidr in cidrs) for cidrs in self._source_ranges)
        return (host_ports, self.nodes[node].pod_cidr if host_ports else "", tuple(local), ranges)

    def proxy_inputs(self, node: str) -> proxy_rules.ProxyInputs:
        """What kube-proxy, portmap and kindnet on ``node`` see of the cluster."""
        endpoints = self._service_endpoints()
        spec = self.nodes[node]
        return proxy_rules.ProxyInputs(
            node_name=node,
            node_ips=(spec.ip,),
            all_node_ips=tuple(n.ip for n in self.nodes.values()),
            cluster_cidr=self.cluster.topology.pod_cidr,
            pod_cidr=spec.pod_cidr,
            services=self._services,
            endpoints=endpoints,
            host_port_pods=self._host_port_pods(node),
        )

    def pods_on(self, node: str) -> list[Pod]:
        """Running pods with their own network namespace on ``node``, in name order."""
        if self._pods_by_node is None:
            by_node: dict[str, list[Pod]] = {}
            for pod in self.pods.values():
                by_node.setdefault(pod.spec.node_name, []).append(pod)
            for pods in by_node.values():  # sorting each node's few pods, not all of them at once
                pods.sort(key=lambda p: (p.metadata.namespace, p.metadata.name))
            self._pods_by_node = by_node
        return self._pods_by_node.get(node, [])

    def local_addresses(self, host: str) -> frozenset[str]:
        found = self._local.get(host)
        if found is None:
            kind, _, name = host.partition(":")
            if kind == "node":
                found = frozenset((self.nodes[name].ip, self.gateways[name]))
            elif kind == "pod":
                found = frozenset((self.pods[host].status.pod_ip,))
            else:
                found = frozenset((self.cluster.topology.outside_ip,))
            self._local[host] = found
        return found

    def route(self, host: str, pkt: Packet) -> Route:
        kind, _, name = host.partition(":")
        if pkt.dst in self.local_addresses(host) or in_cidr(pkt.dst, "127.0.0.0/8"):
            return Route("local")
        if kind == "pod":
            node = self.pods[host].spec.node_name
            return Route("forward", f"node:{node}", f"routes {pkt.dst} by its default route, via its node {node}")
        if kind == "outside":
            return self._route_outside(pkt)
        return self._route_node(name, pkt)

    def _route_outside(self, pkt: Packet) -> Route:
        node = self.node_by_ip.get(pkt.dst)
        if node is not None:
            return Route("forward", f"node:{node}")
        if self.lb_service(pkt.dst):
            return self._route_to_lb(pkt)
        where = "a ClusterIP" if in_cidr(pkt.dst, self.cluster.topology.service_cidr) else (
            "a pod IP" if in_cidr(pkt.dst, self.cluster.topology.pod_cidr) else "an address outside the kind network")
        return Route("blackhole", reason=(
            f"the outside client has no route to {pkt.dst} ({where}; only the nodes' IPs are reachable from "
            "the docker host): the packet goes to its default gateway and is lost"))

    def _route_node(self, node: str, pkt: Packet) -> Route:
        pod_host = self.pod_by_ip.get(pkt.dst)
        if pod_host is not None:
            pod_node = self.pods[pod_host].spec.node_name
            if pod_node == node:
                return Route("forward", pod_host)
            return Route("forward", f"node:{pod_node}", f"routes {pkt.dst} via {self.nodes[pod_node].ip} ({pod_node})")
        for other, spec in self.nodes.items():
            if other != node and in_cidr(pkt.dst, spec.pod_cidr):
                return Route("forward", f"node:{other}", f"routes {pkt.dst} via {spec.ip} ({other})")
        other = self.node_by_ip.get(pkt.dst)
        if other is not None:
            return Route("forward", f"node:{other}")
        if pkt.dst == self.cluster.topology.outside_ip:
            return Route("forward", OUTSIDE)
        if self.lb_service(pkt.dst) and self.lb_node(pkt.dst) != node:
            return self._route_to_lb(pkt)
        return Route("blackhole", reason=self._no_route(node, pkt))

    def lb_service(self, ip: str) -> str:
        """``namespace/name`` of the Service whose LoadBalancer IP ``ip`` is ("" if none)."""
        holder = self.load_balancer.holder(ip) if self.load_balancer is not None else None
        return f"{holder[0]}/{holder[1]}" if holder else ""

    def lb_node(self, ip: str) -> str:
        """The node that answers ARP for LoadBalancer IP ``ip`` (MetalLB layer 2), "" if none."""
        return self.load_balancer.announcer(ip) if self.load_balancer is not None else ""

    def _route_to_lb(self, pkt: Packet) -> Route:
        """A LoadBalancer IP on the kind network: the node MetalLB's speaker announces it from."""
        service, node = self.lb_service(pkt.dst), self.lb_node(pkt.dst)
        if node:
            return Route("forward", f"node:{node}", (
                f"{pkt.dst} is the LoadBalancer IP of Service {service}; MetalLB (layer 2) announces it "
                f"from {node}, which answers ARP for it, so the packet goes to {node} (R-EX-2)"))
        return Route("blackhole", reason=(
            f"{pkt.dst} is the LoadBalancer IP of Service {service}, but no node announces it: MetalLB "
            "announces an address only while the Service has a ready endpoint (with externalTrafficPolicy "
            "Local: a ready endpoint on the announcing node), so nothing answers ARP and the packet is lost "
            "(R-EX-2)"))

    def _no_route(self, node: str, pkt: Packet) -> str:
        ignored = self._ignored_services().get(pkt.dst)
        if ignored is not None:
            return (f"{pkt.dst} is the ClusterIP of Service {ignored.namespace}/{ignored.name}, but kube-proxy "
                    f"ignores that Service ({_ignored_reason(ignored)}), so no rule matched and the packet left "
                    "by the default route and was lost (R-KP-13)")
        service = self.lb_service(pkt.dst)
        if service:
            return (f"{pkt.dst} is the LoadBalancer IP of Service {service}, but kube-proxy programs it only for "
                    f"the Service's ports, not {pkt.dport}/{pkt.protocol}, and MetalLB puts the IP on no interface: "
                    "the packet left by the default route and was lost (R-EX-2)")
        if in_cidr(pkt.dst, self.cluster.topology.service_cidr):
            return (f"no rule matched {pkt.dst}:{pkt.dport}/{pkt.protocol}: a ClusterIP answers only on its Service "
                    f"ports, so the packet left by the default route and was lost (R-KP-10)")
        if in_cidr(pkt.dst, self.nodes[node].pod_cidr):
            return f"no pod on {node} has the address {pkt.dst}: the packet is lost"
        return f"{node} has no route to {pkt.dst}: the packet left by the default route and was lost"

    def _ignored_services(self) -> dict[str, Service]:
        """ClusterIPs of Services that kube-proxy does not program (R-KP-13), built on first use."""
        if self._ignored_cluster_ips is None:
            self._ignored_cluster_ips = {
                svc.spec.cluster_ip: svc for svc in self.cluster.registry.iter(Service)
                if svc.spec.cluster_ip not in ("", "None") and not is_proxied(svc)
            }
        return self._ignored_cluster_ips

    def interface_address(self, host: str, next_host: str) -> str:
        node = host.partition(":")[2]
        if next_host.startswith("pod:") and self.pods[next_host].spec.node_name == node:
            return self.gateways[node]
        return self.nodes[node].ip

    def ephemeral_port(self) -> int:
        return self.cluster.random("ports").randrange(32768, 61000)

    def recent(self, host: str) -> dict[str, dict[str, float]]:
        """The host's ``-m recent`` tables; while exploring, a throw-away copy of the saved state.

        Every path :meth:`explore` enumerates starts from the affinity state the cluster has now:
        a path's ``--set`` must not pin the paths explored after it (R-SA-1).
        """
        if self._scratch_recent is not None:
            return {name: dict(table) for name, table in self._scratch_recent.get(host, {}).items()}
        return self.cluster.recent_tables.setdefault(host, {})

    def now(self) -> float:
        return (self.cluster.clock.now - EPOCH) / timedelta(seconds=1)

    def accept(self, host: str, pkt: Packet) -> Ending:
        for sock in self.sockets.get(host, ()):
            if sock.accepts(pkt.protocol, pkt.dst, pkt.dport):
                if sock.app is not None and not sock.app.known:
                    return Ending("unknown", host, pkt, sock.app.explanation, sock)
                return Ending("delivered", host, pkt, f"{host_label(host)} accepts {pkt.dst}:{pkt.dport}/{pkt.protocol}", sock)
        unknown = self._unknown_app(host)
        if unknown is not None:
            return Ending("unknown", host, pkt, unknown.explanation, Socket(appcat.Listener(pkt.protocol, pkt.dport, pkt.dst, unknown.container), self.pods.get(host), unknown))
        return Ending("refused", host, pkt, *self._nobody_listens(host, pkt))

    def _unknown_app(self, host: str) -> appcat.ContainerApp | None:
        """A running container whose app the simulator cannot know: it might listen anywhere."""
        pod = self.pods.get(host)
        if pod is None:
            return None
        running = _running(pod)
        return next((a for a in appcat.shared_pod_apps(pod) if not a.known and a.container in running), None)

    def _nobody_listens(self, host: str, pkt: Packet) -> tuple[str, Any, str, tuple[str, ...]]:
        label = host_label(host)
        what = "answered with a TCP reset" if pkt.protocol == "TCP" else "answered with ICMP port unreachable"
        text = f"nothing listens on {pkt.dst}:{pkt.dport}/{pkt.protocol} in {label}; its kernel {what}"
        cites: tuple[str, ...] = ()
        if host.startswith("pod:"):
            sockets = self.sockets.get(host, [])
            local_only = [s for s in sockets if s.listener.port == pkt.dport and s.listener.address.startswith("127.")]
            if local_only:
                text += f" (the app listens on {local_only[0].listener.address}:{pkt.dport} only, R-CP-4)"
                cites = ("R-CP-4",)
            elif sockets:
                ports = ", ".join(sorted({f"{s.listener.port}/{s.listener.protocol}" for s in sockets}))
                text += f" (its containers listen on {ports}; containerPort and targetPort do not change that, R-CP-1)"
                cites = ("R-CP-1",)
        return text, None, "", cites

    # ------------------------------------------------------------------ probes

    def host_of(self, source: "Source") -> str:
        from grader.errors import NotFoundError

        if source.kind == "outside":
            return OUTSIDE
        if source.kind == "node":
            if source.name not in self.nodes:
                raise NotFoundError(f'nodes "{source.name}" not found')
            return f"node:{source.name}"
        pod = self.cluster.registry.get(Pod, source.namespace, source.name)
        if pod is None:
            raise NotFoundError(f'pods "{source.name}" not found')
        if source.container and source.container not in {c.name for c in pod.spec.containers}:
            raise NotFoundError(f'container {source.container} is not valid for pod {source.name}')
        if pod.spec.host_network and pod.spec.node_name:
            return f"node:{pod.spec.node_name}"
        host = f"pod:{pod.namespace}/{pod.name}"
        if host not in self.pods:
            from grader.errors import UsageError

            phase = pod.status.phase or "Pending"
            raise UsageError(f"error: unable to upgrade connection: pod {source.name} is not running (phase {phase})")
        return host

    def first_packet(self, host: str, protocol: str, dst: str, port: int) -> Packet:
        kind, _, name = host.partition(":")
        if in_cidr(dst, "127.0.0.0/8"):
            src = "127.0.0.1"
        elif kind == "pod":
            src = self.pods[host].status.pod_ip
        elif kind == "node":
            pod_host = self.pod_by_ip.get(dst)
            local_pod = pod_host is not None and self.pods[pod_host].spec.node_name == name
            src = self.gateways[name] if local_pod else self.nodes[name].ip
        else:
            src = self.cluster.topology.outside_ip
        return Packet(protocol, src, self.ephemeral_port(), dst, port)

    def walk(self, start: str, packet: Packet) -> Walk:
        """One path of the connection (statistic matches drawn from the ``probe`` stream).

        Walks run with the garbage collector paused: the first walk through a node builds
        its rules and chain indexes, a bulk of acyclic objects (see :meth:`rules`).
        """
        draw = self.cluster.random("probe").random
        with paused_gc():
            return dataplane.walk(self, start, packet, draw, self._indexes)

    def explore(self, start: str, packet: Packet) -> list[Walk]:
        """Every path the connection could take; session-affinity state is read, never written."""
        self._scratch_recent = self.cluster.recent_tables
        try:
            with paused_gc():
                return dataplane.explore(self, start, packet, self._indexes)
        finally:
            self._scratch_recent = None

    def answer(self, ending: Ending, target: "Target") -> tuple[appcat.Reply, str, str]:
        """The application's reply, who answered (``ns/pod`` or ``node/NAME``) and the container."""
        sock: Socket = ending.listener  # type: ignore[assignment]
        pkt = ending.packet
        if sock.service is not None:
            return self._health_reply(ending.host, sock.service), f"node/{ending.host[5:]}", "kube-proxy"
        pod = sock.pod
        assert pod is not None and sock.app is not None
        hostname = appcat.pod_hostname(pod)
        request = appcat.Request(
            target.protocol, target.path, f"{target.host}:{target.port}" if target.port != 80 else target.host,
            pkt.src, pkt.sport, pkt.dst, pkt.dport, pod.name, pod.namespace, pod.spec.node_name, hostname,
        )
        return appcat.answer(sock.app, sock.listener, request), f"{pod.namespace}/{pod.name}", sock.app.container

    def _health_reply(self, host: str, svc: Service) -> appcat.Reply:
        """kube-proxy's health server (``pkg/proxy/healthcheck/service_health.go``, R-TP-3).

        ``localEndpoints`` counts the distinct IPs of this node's *ready* endpoints of the
        Service (``LocalReadyEndpoints``: terminating ones do not count); 200 when there is at
        least one, 503 otherwise. The body is the handler's dedented JSON, tabs and all.
        """
        node = host[5:]
        by_port = self._service_endpoints().get(f"{svc.namespace}/{svc.name}", {})
        local = len({ep.ip for eps in by_port.values() for ep in eps if ep.node_name == node and ep.ready})
        body = (f'{{\n\t"service": {{\n\t\t"namespace": {json.dumps(svc.namespace)},\n'
                f'\t\t"name": {json.dumps(svc.name)}\n\t}},\n\t"localEndpoints": {local},\n'
                '\t"serviceProxyHealthy": true\n}')
        return appcat.Reply(0, body, "", 200 if local else 503)


def _load_balancer(cluster: "Cluster") -> LoadBalancerController | None:
    """The cluster's optional LoadBalancer controller (``Cluster(load_balancer=True)``)."""
    for controller in cluster.control_plane.controllers:
        if isinstance(controller, LoadBalancerController):
            return controller
    return None


def _ignored_reason(svc: Service) -> str:
    labels = svc.metadata.labels
    if LABEL_SERVICE_PROXY_NAME in labels:
        return (f"it is labelled {LABEL_SERVICE_PROXY_NAME}={labels[LABEL_SERVICE_PROXY_NAME]}, "
                "so it belongs to another proxy")
    if LABEL_HEADLESS in labels:
        return f"it is labelled {LABEL_HEADLESS}"
    return "it has no IPv4 ClusterIP"


def _contains(cidr: str, ip: str) -> bool:
    try:
        return in_cidr(ip, cidr.strip())
    except ValueError:
        return False


def _gateway(pod_cidr: str) -> str:
    import ipaddress

    return str(ipaddress.ip_network(pod_cidr).network_address + 1)
