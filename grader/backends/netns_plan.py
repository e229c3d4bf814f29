"""The netns backend's plan: the simulator's cluster as network namespaces, links, routes and rules.

Describe first, realise second. :func:`build_plan` turns a simulated
:class:`~grader.sim.cluster.Cluster` into a :class:`Plan`: plain, frozen data and nothing else
(no subprocess, no file system). :mod:`grader.backends.netns_runner` realises a plan inside the
netns agent and re-realises the difference when the plan changes.

What the plan builds (the simulator's addresses, so that outcomes *and* client IPs agree)::

    kpout  outside client 172.18.0.1 ─┐                         (the docker host of kind)
                                      ├─ kplan: bridge kpbr0 ── one port per node and the client
    kpn0   kind-control-plane 172.18.0.2 ─┘ ...
    kpn1   kind-worker 172.18.0.3, gateway 10.244.1.1 ── kpv<hash> ══ kpeth0 ── kpp<hash> pod 10.244.1.2
    kpn2   kind-worker2 172.18.0.4, gateway 10.244.2.1 ...

* Routed pod networking, the way kindnet's ``ptp`` plugin wires a kind node: every pod has its
  own veth; the node side carries the pod subnet's gateway address (``10.244.X.1/32``, the same
  on every pod veth, and on the node's ``lo`` so that it exists with no pod too) and a ``/32``
  route per pod; ``lo`` carries the node IP too, ahead of the gateway, so that MASQUERADE of a
  packet leaving through ``lo`` (to a hostNetwork endpoint on the same node) picks the node IP
  as on a kind node, whose ``lo`` has no global address; the pod has ``podIP/32``, a link route to the gateway and its default route
  via the gateway. MASQUERADE towards a local pod therefore picks ``10.244.X.1``, exactly the
  address the simulator's packet walker uses (``Network.interface_address``).
* Nodes route each other's pod ``/24`` via the other node's IP (kindnet host-gw style).
* The node network is a bridge in its own namespace; members use ``/32`` addresses with a host
  route and a permanent neighbour entry for every other member, so nothing depends on a subnet
  the topology does not state and no ARP is needed.
* Nodes and the outside client have a *sink* default route: a veth pair and a permanent
  neighbour entry for a MAC nobody owns, so unknown destinations are routed and silently lost
  (curl times out) as on a real network. Every route names its source address, so a node's own
  connections start from the node IP (or the gateway, towards its own pods) as the simulator
  says (``Network.first_packet``).
* Sysctls are set explicitly in every namespace (they are inherited from the host otherwise):
  ``rp_filter=0``, IPv6 off, ICMP rate limiting off (REJECT answers with ICMP; a rate limit
  would turn refusals into timeouts), a listen backlog of 4096 (``somaxconn``: a batch of
  probes opens hundreds of connections to one pod at once; an overflowing accept queue drops
  SYNs and turns them into timeouts); nodes forward, accept ``127.0.0.1`` as a routable source
  (``route_localnet``) and send no redirects.
* Each node gets one ``iptables-restore`` document: :func:`grader.sim.proxy.render_node_rules`
  for the node's :meth:`~grader.sim.network.Network.proxy_inputs`, byte for byte.
* Listeners: every socket the simulator's network says is open (``Network.sockets``: the
  apps of running containers, kube-proxy's health-check ports), with what the agent needs to
  answer as the simulator's app catalogue does. A pod running an app the simulator cannot know
  gets a catch-all socket and ``KPORTS-UNKNOWN`` nat rules that send every other port to it,
  so probes there are ``UNKNOWN`` as in the simulator (the only rules in a pod namespace).
* LoadBalancer IPs (when the cluster runs the MetalLB-style controller): a host route via the
  announcing node on the outside client and the other nodes, which is what MetalLB's layer-2
  ARP answers achieve.

Deviations from a real kind cluster, all invisible to probes: the pod interface is ``kpeth0``,
not ``eth0``; pod and node addresses are ``/32`` with explicit routes instead of kind's ``/24``
and ``/16``; the LAN is a bridge namespace instead of docker's bridge; there is no DNS server
(the backend resolves names as :mod:`grader.sim.dns` does and hands curl ``--resolve``).

Names: namespaces and interfaces all start with ``kp`` and interfaces have at most 15
characters; interface indexes are fixed too (see ``INDEX_*``). Pod namespaces and their host-side veths are named by a hash of the pod's
namespace, name, uid, node and IP, so a recreated pod is a new namespace and an unchanged one
keeps its name across plans.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Iterable, Sequence

from grader.model.objects import Pod
from grader.records import frozen
from grader.sim import apps as appcat
from grader.sim.dataplane import Ending, Packet
from grader.sim.probe import Target
from grader.sim.proxy.rules import render_node_rules

if TYPE_CHECKING:
    from grader.sim.cluster import Cluster
    from grader.sim.network import Network, Socket

__all__ = [
    "Address",
    "BRIDGE",
    "LAN_NS",
    "Link",
    "ListenerSpec",
    "MAX_IFNAME",
    "Namespace",
    "Neighbour",
    "NodeRules",
    "OUTSIDE_NS",
    "PREFIX",
    "Plan",
    "Route",
    "SINK",
    "SINK_GATEWAY",
    "SINK_PEER",
    "Sysctl",
    "UPLINK",
    "build_plan",
    "check_names",
    "pod_tag",
]

PREFIX = "kp"
MAX_IFNAME = 15  # IFNAMSIZ - 1
LAN_NS = "kplan"
OUTSIDE_NS = "kpout"
BRIDGE = "kpbr0"
UPLINK = "kpeth0"  # a node's or the client's port on the LAN, and a pod's interface
SINK, SINK_PEER = "kpsink", "kpsinkp"
SINK_GATEWAY = "169.254.255.1"
SINK_MAC = "06:6b:70:00:00:01"  # owned by nobody: frames sent there are lost
BRIDGE_MAC = "06:6b:70:00:00:02"
TAG_LENGTH = 11  # "kpv" + 11 hex digits = 14 characters
# Interface indexes are chosen so that no veth end shares its ifindex with its peer: the kernel
# treats a carrier change of such a device as urgent and enables it at once, instead of up to
# a second later (linkwatch_urgent_event). lo is 1 in every namespace.
INDEX_UPLINK = 2  # kpeth0 in nodes, pods and the outside client; the bridge in the LAN
INDEX_SINK = 3  # kpsink, and kpsinkp = 4
INDEX_LAN_PORTS = 10  # kplout, kpl0, kpl1, ...
INDEX_PODS = 1024  # host-side pod veths: 1024 + 24 bits of the pod's tag


# --------------------------------------------------------------------------- the data


@frozen
class Sysctl:
    """One per-namespace sysctl; ``required=False`` ones are skipped where the kernel lacks them."""

    key: str
    value: str
    required: bool = True

    @property
    def path(self) -> str:
        """Its file under ``/proc/sys`` (read and written from inside the namespace)."""
        return "/proc/sys/" + self.key.replace(".", "/")


@frozen
class Namespace:
    """A network namespace: ``role`` is ``lan``, ``outside``, ``node`` or ``pod``."""

    name: str
    role: str
    host: str  # the simulator's host key: "outside", "node:NAME", "pod:NS/NAME"; "" for the LAN
    sysctls: tuple[Sysctl, ...]


@frozen
class Link:
    """A bridge, or a veth pair created in ``namespace`` with its peer moved to ``peer_namespace``."""

    namespace: str
    name: str
    kind: str  # "veth" | "bridge"
    mac: str
    peer_namespace: str = ""
    peer_name: str = ""
    peer_mac: str = ""
    master: str = ""  # the bridge ``name`` is enslaved to (in ``namespace``)
    index: int = 0
    peer_index: int = 0

    def create(self) -> str:
        """The ``ip -n <namespace> -batch`` line that creates it."""
        if self.kind == "bridge":
            return f"link add {self.name} index {self.index} address {self.mac} type bridge"
        peer = f"peer name {self.peer_name} index {self.peer_index} address {self.peer_mac}"
        if self.peer_namespace != self.namespace:
            peer += f" netns {self.peer_namespace}"
        return f"link add {self.name} index {self.index} address {self.mac} type veth {peer}"

    def bring_up(self) -> list[tuple[str, str]]:
        """(namespace, batch line) pairs that enslave and set both ends up."""
        master = f" master {self.master}" if self.master else ""
        lines = [(self.namespace, f"link set {self.name}{master} up")]
        if self.kind == "veth":
            lines.append((self.peer_namespace, f"link set {self.peer_name} up"))
        return lines

    def delete(self) -> str:
        return f"link del {self.name}"

    @property
    def devices(self) -> tuple[tuple[str, str], ...]:
        """(namespace, interface) of each end."""
        if self.kind == "veth":
            return ((self.namespace, self.name), (self.peer_namespace, self.peer_name))
        return ((self.namespace, self.name),)


@frozen
class Address:
    """``ip address add CIDR dev DEVICE`` in ``namespace``."""

    namespace: str
    device: str
    cidr: str

    def add(self) -> str:
        return f"address add {self.cidr} dev {self.device}"

    def delete(self) -> str:
        return f"address del {self.cidr} dev {self.device}"


@frozen
class Neighbour:
    """A permanent neighbour (ARP) entry."""

    namespace: str
    device: str
    address: str
    mac: str

    def add(self) -> str:
        return f"neighbour replace {self.address} lladdr {self.mac} dev {self.device} nud permanent"

    def delete(self) -> str:
        return f"neighbour del {self.address} dev {self.device}"


@frozen
class Route:
    """A route in the main table; ``gateway`` empty means a link route (``scope link``)."""

    namespace: str
    destination: str
    device: str
    gateway: str = ""
    source: str = ""
    onlink: bool = False

    def _spec(self) -> str:
        via = f" via {self.gateway}" if self.gateway else ""
        onlink = " onlink" if self.onlink else ""
        scope = "" if self.gateway else " scope link"
        src = f" src {self.source}" if self.source else ""
        return f"{self.destination}{via} dev {self.device}{onlink}{scope}{src}"

    def add(self) -> str:
        return f"route replace {self._spec()}"

    def delete(self) -> str:
        return f"route del {self.destination} dev {self.device}"


@frozen
class NodeRules:
    """One node's ``iptables-restore`` document (``filter`` and ``nat``, full replacement)."""

    namespace: str
    node: str
    document: str


@frozen
class ListenerSpec:
    """A socket the agent binds, and how to answer on it as the simulator's app would.

    ``app`` and ``listener`` go to :func:`grader.sim.apps.answer` together with a
    :class:`~grader.sim.apps.Request` built from the real connection and the ``pod_*`` fields.
    ``fixed_reply`` is set instead for kube-proxy's health-check port (its answer does not
    depend on the request). ``unknown`` marks the catch-all socket of a pod running an app the
    simulator cannot know (its ``KPORTS-UNKNOWN`` nat rules redirect every port no known socket
    owns to it); connections there are logged and closed, and the probe is ``UNKNOWN``.
    """

    namespace: str
    protocol: str
    address: str
    port: int
    answered_by: str  # "ns/pod", or "node/NAME" for kube-proxy
    container: str
    listener: appcat.Listener
    app: appcat.ContainerApp | None = None
    pod_name: str = ""
    pod_namespace: str = ""
    node_name: str = ""
    hostname: str = ""
    fixed_reply: appcat.Reply | None = None
    unknown: str = ""  # a catch-all for an app the simulator cannot know: why (no reply is sent)

    @property
    def key(self) -> tuple[str, str, str, int]:
        """What the kernel binds: (namespace, protocol, address, port)."""
        return (self.namespace, self.protocol, self.address, self.port)

    def request(self, path: str, host_header: str, client: tuple[str, int], local: tuple[str, int]) -> appcat.Request:
        """The request as the app sees it, from one real connection or datagram."""
        return appcat.Request(self.protocol, path, host_header, client[0], client[1], local[0], local[1],
                              self.pod_name, self.pod_namespace, self.node_name, self.hostname)

    def reply(self, request: appcat.Request) -> appcat.Reply:
        """What the simulator's app catalogue answers."""
        if self.fixed_reply is not None:
            return self.fixed_reply
        assert self.app is not None
        return appcat.answer(self.app, self.listener, request)


@frozen
class Plan:
    """Everything the runner creates, as data. Equal plans realise identically."""

    namespaces: tuple[Namespace, ...]
    links: tuple[Link, ...]
    addresses: tuple[Address, ...]
    neighbours: tuple[Neighbour, ...]
    routes: tuple[Route, ...]
    rules: tuple[NodeRules, ...]
    listeners: tuple[ListenerSpec, ...]
    pod_rules: tuple[NodeRules, ...] = ()  # catch-all redirects in pods with unknown apps (``node`` is "")

    def namespace_of(self, host: str) -> str:
        """The namespace of a simulator host (``outside``, ``node:NAME``, ``pod:NS/NAME``)."""
        for ns in self.namespaces:
            if ns.host == host:
                return ns.name
        raise KeyError(host)

    def namespace(self, name: str) -> Namespace:
        return next(ns for ns in self.namespaces if ns.name == name)

    def names(self) -> list[str]:
        """Every namespace and interface name the plan uses (all start with ``kp``)."""
        names = [ns.name for ns in self.namespaces]
        for link in self.links:
            names.extend(dev for _, dev in link.devices)
        return names


# --------------------------------------------------------------------------- sysctls

# Only per-namespace sysctls (netns_ipv4 / per-netns devconf): writing one inside a namespace
# never changes the host's value.
_COMMON = (
    Sysctl("net.ipv4.conf.all.rp_filter", "0"),
    Sysctl("net.ipv4.conf.default.rp_filter", "0"),
    Sysctl("net.ipv4.icmp_ratelimit", "0"),
    Sysctl("net.ipv4.icmp_ratemask", "0"),
    Sysctl("net.ipv6.conf.all.disable_ipv6", "1", required=False),
    Sysctl("net.ipv6.conf.default.disable_ipv6", "1", required=False),
    # Listeners are asked for a 4096 backlog; kernels before 5.4 cap it at 128 unless told.
    Sysctl("net.core.somaxconn", "4096", required=False),
)
SYSCTLS = {
    # The LAN namespace has no iptables rules, so bridged frames pass whatever br_netfilter does; its
    # sysctls are left alone (they were host-global before Linux 5.3).
    "lan": _COMMON,
    "outside": _COMMON + (Sysctl("net.ipv4.ip_forward", "0"),),
    "pod": _COMMON + (Sysctl("net.ipv4.ip_forward", "0"),),
    "node": _COMMON + (
        Sysctl("net.ipv4.ip_forward", "1"),
        Sysctl("net.ipv4.conf.all.route_localnet", "1"),
        Sysctl("net.ipv4.conf.all.send_redirects", "0"),
        Sysctl("net.ipv4.conf.default.send_redirects", "0"),
    ),
}


# --------------------------------------------------------------------------- naming


def pod_tag(pod: Pod) -> str:
    """11 hex digits naming a pod's namespace (``kpp…``) and host-side veth (``kpv…``)."""
    meta = pod.metadata
    seed = f"{meta.namespace}/{meta.name}/{meta.uid}/{pod.spec.node_name}/{pod.status.pod_ip}"
    return hashlib.sha256(seed.encode()).hexdigest()[:TAG_LENGTH]


def _docker_mac(ip: str) -> str:
    """Docker's MAC for a container address: ``02:42`` and the four octets."""
    return "02:42:" + ":".join(f"{int(o):02x}" for o in ip.split("."))


def _tag_mac(first: str, tag: str) -> str:
    return first + ":" + ":".join(tag[i:i + 2] for i in range(0, 10, 2))


# --------------------------------------------------------------------------- building


class _Builder:
    """Accumulates the plan's parts in a fixed order."""

    def __init__(self, network: "Network") -> None:
        self.network = network
        self.topology = network.cluster.topology
        self.namespaces: list[Namespace] = []
        self.links: list[Link] = []
        self.addresses: list[Address] = []
        self.neighbours: list[Neighbour] = []
        self.routes: list[Route] = []
        self.hosts: dict[str, str] = {}
        self.catch_alls: list[ListenerSpec] = []
        self.pod_rules: list[NodeRules] = []

    def namespace(self, name: str, role: str, host: str) -> None:
        self.namespaces.append(Namespace(name, role, host, SYSCTLS[role]))
        if host:
            self.hosts[host] = name

    def node_names(self) -> list[tuple[str, str]]:
        """(node name, namespace) in topology order."""
        return [(spec.name, f"kpn{i}") for i, spec in enumerate(self.topology.nodes)]

    def lan(self) -> None:
        """The bridge, and each member's port, address, host routes and neighbours."""
        self.namespace(LAN_NS, "lan", "")
        self.links.append(Link(LAN_NS, BRIDGE, "bridge", BRIDGE_MAC, index=INDEX_UPLINK))
        members = [(OUTSIDE_NS, "kplout", self.topology.outside_ip)]
        members += [(ns, f"kpl{i}", spec.ip) for i, (spec, (_, ns)) in
                    enumerate(zip(self.topology.nodes, self.node_names()))]
        for number, (ns, port, ip) in enumerate(members):
            mac = _tag_mac("06", hashlib.sha256(port.encode()).hexdigest())
            self.links.append(Link(LAN_NS, port, "veth", mac, ns, UPLINK, _docker_mac(ip), master=BRIDGE,
                                   index=INDEX_LAN_PORTS + number, peer_index=INDEX_UPLINK))
            self.addresses.append(Address(ns, UPLINK, f"{ip}/32"))
            for other_ns, _, other_ip in members:
                if other_ns != ns:
                    self.routes.append(Route(ns, other_ip, UPLINK, source=ip))
                    self.neighbours.append(Neighbour(ns, UPLINK, other_ip, _docker_mac(other_ip)))
            self.sink(ns, ip)

    def sink(self, ns: str, source: str) -> None:
        self.links.append(Link(ns, SINK, "veth", "06:6b:70:00:00:03", ns, SINK_PEER, "06:6b:70:00:00:04",
                               index=INDEX_SINK, peer_index=INDEX_SINK + 1))
        self.neighbours.append(Neighbour(ns, SINK, SINK_GATEWAY, SINK_MAC))
        self.routes.append(Route(ns, "default", SINK, SINK_GATEWAY, source, onlink=True))

    def nodes(self) -> None:
        for (node, ns), spec in zip(self.node_names(), self.topology.nodes):
            gateway = self.network.gateways[node]
            # The node IP first: MASQUERADE of a packet that leaves through lo (a Service whose
            # endpoint is this node's own hostNetwork pod) takes lo's first global address; on a
            # kind node lo has none and the kernel falls back to eth0's, the node IP (R-KP-9).
            self.addresses.append(Address(ns, "lo", f"{spec.ip}/32"))
            self.addresses.append(Address(ns, "lo", f"{gateway}/32"))
            for other in self.topology.nodes:
                if other.name != node:
                    self.routes.append(Route(ns, other.pod_cidr, UPLINK, other.ip, spec.ip))

    def load_balancers(self) -> None:
        """MetalLB layer 2: an announced LoadBalancer IP is reached via the announcing node (R-EX-2).

        The announcing node answers ARP for the address; a host route via that node's IP puts
        the same frames on the wire. The announcing node itself has no route (kube-proxy's
        rules take the Service's ports; anything else falls into its sink), and an address
        nobody announces has no route anywhere.
        """
        controller = getattr(self.network, "load_balancer", None)
        if controller is None:
            return
        ips = {spec.name: spec.ip for spec in self.topology.nodes}
        members = [(OUTSIDE_NS, "", self.topology.outside_ip)]
        members += [(ns, node, ips[node]) for node, ns in self.node_names()]
        for address, announcer in sorted(controller.announcements().items()):
            for ns, node, source in members:
                if node != announcer and announcer in ips:
                    self.routes.append(Route(ns, address, UPLINK, ips[announcer], source))

    def pods(self) -> None:
        node_ns = dict(self.node_names())
        seen: set[str] = set()
        for node in (spec.name for spec in self.topology.nodes):
            indexes: set[int] = set()
            for pod in self.network.pods_on(node):
                tag = pod_tag(pod)
                while tag in seen:  # practically never; stays deterministic
                    tag = hashlib.sha256(tag.encode()).hexdigest()[:TAG_LENGTH]
                seen.add(tag)
                index = INDEX_PODS + int(tag[:6], 16)
                while index in indexes:
                    index += 1
                indexes.add(index)
                self.pod(pod, tag, index, node_ns[node], self.network.gateways[node])

    def pod(self, pod: Pod, tag: str, index: int, node_ns: str, gateway: str) -> None:
        ns, veth, ip = f"kpp{tag}", f"kpv{tag}", pod.status.pod_ip
        host_mac, pod_mac = _tag_mac("06", tag), _tag_mac("02", tag)
        self.namespace(ns, "pod", f"pod:{pod.namespace}/{pod.name}")
        self.links.append(Link(node_ns, veth, "veth", host_mac, ns, UPLINK, pod_mac, index=index,
                               peer_index=INDEX_UPLINK))
        self.addresses += [Address(node_ns, veth, f"{gateway}/32"), Address(ns, UPLINK, f"{ip}/32")]
        self.neighbours += [Neighbour(node_ns, veth, ip, pod_mac), Neighbour(ns, UPLINK, gateway, host_mac)]
        self.routes += [
            Route(node_ns, ip, veth, source=gateway),
            Route(ns, gateway, UPLINK, source=ip),
            Route(ns, "default", UPLINK, gateway, ip),
        ]
        self.catch_all(pod, ns)

    def catch_all(self, pod: Pod, ns: str) -> None:
        """A pod running an app the simulator cannot know gets a catch-all socket and redirects to it.

        The simulator answers ``UNKNOWN`` for any port of such a pod that no known socket owns
        (``Network.accept``); asking it at a free port finds those pods.
        """
        host = f"pod:{pod.namespace}/{pod.name}"
        sockets = self.network.sockets.get(host, [])
        used = {sock.listener.port for sock in sockets}
        port = next(p for p in range(65535, 1024, -1) if p not in used)
        ending = self.network.accept(host, Packet("TCP", "0.0.0.0", 0, pod.status.pod_ip, port))
        app = getattr(ending.listener, "app", None)
        if ending.kind != "unknown" or app is None:
            return
        for protocol in ("TCP", "UDP"):
            self.catch_alls.append(ListenerSpec(
                ns, protocol, "0.0.0.0", port, f"{pod.namespace}/{pod.name}", app.container,
                appcat.Listener(protocol, port, "0.0.0.0", app.container), app, pod.name, pod.namespace,
                pod.spec.node_name, appcat.pod_hostname(pod), unknown=ending.reason or app.explanation))
        self.pod_rules.append(NodeRules(ns, "", _catch_all_rules(sockets, port)))

    def rules(self) -> tuple[NodeRules, ...]:
        return tuple(NodeRules(ns, node, render_node_rules(self.network.proxy_inputs(node)))
                     for node, ns in self.node_names())

    def listeners(self) -> tuple[ListenerSpec, ...]:
        specs: dict[tuple[str, str, str, int], ListenerSpec] = {}
        for host, sockets in self.network.sockets.items():
            ns = self.hosts.get(host)
            if ns is None:
                continue
            for sock in sockets:
                spec = _listener_spec(self.network, ns, host, sock)
                if not _shadowed(spec, specs):
                    specs.setdefault(spec.key, spec)
        for spec in self.catch_alls:
            specs.setdefault(spec.key, spec)
        return tuple(specs[k] for k in sorted(specs))


CATCH_ALL_CHAIN = "KPORTS-UNKNOWN"


def _catch_all_rules(sockets: Sequence["Socket"], port: int) -> str:
    """nat rules of a pod with an unknown app: every port no known socket owns goes to ``port``."""
    lines = ["*nat"] + [f":{chain} ACCEPT [0:0]" for chain in ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")]
    lines += [f":{CATCH_ALL_CHAIN} - [0:0]", f"-A PREROUTING -j {CATCH_ALL_CHAIN}",
              f"-A OUTPUT -m addrtype --dst-type LOCAL -j {CATCH_ALL_CHAIN}"]
    for sock in sockets:
        ln = sock.listener
        if ln.protocol not in ("TCP", "UDP"):
            continue
        dst = "" if ln.address in ("", "0.0.0.0", "::") else f"-d {ln.address}/32 "
        proto = ln.protocol.lower()
        lines.append(f"-A {CATCH_ALL_CHAIN} {dst}-p {proto} -m {proto} --dport {ln.port} -j RETURN")
    lines += [f"-A {CATCH_ALL_CHAIN} -p {proto} -j REDIRECT --to-ports {port}" for proto in ("tcp", "udp")]
    return "\n".join(lines + ["COMMIT", ""])


def _shadowed(spec: ListenerSpec, specs: dict[tuple[str, str, str, int], ListenerSpec]) -> bool:
    """A socket hidden by an earlier wildcard one on the same port (the simulator takes the first)."""
    wildcard = (spec.namespace, spec.protocol, "0.0.0.0", spec.port)
    return spec.address != "0.0.0.0" and wildcard in specs


def _listener_spec(network: "Network", ns: str, host: str, sock: "Socket") -> ListenerSpec:
    ln = sock.listener
    address = "0.0.0.0" if ln.address in ("", "::") else ln.address
    if sock.service is not None:
        reply, answered_by, container = _fixed_answer(network, host, sock)
        return ListenerSpec(ns, ln.protocol, address, ln.port, answered_by, container, ln, fixed_reply=reply)
    pod, app = sock.pod, sock.app
    assert pod is not None and app is not None
    return ListenerSpec(
        ns, ln.protocol, address, ln.port, f"{pod.namespace}/{pod.name}", app.container, ln, app,
        pod.name, pod.namespace, pod.spec.node_name, appcat.pod_hostname(pod),
    )


def _fixed_answer(network: "Network", host: str, sock: "Socket") -> tuple[appcat.Reply, str, str]:
    """kube-proxy's health-check answer, asked of the simulator once per plan."""
    ln = sock.listener
    packet = Packet(ln.protocol, "0.0.0.0", 0, "0.0.0.0", ln.port)
    ending = Ending("delivered", host, packet, "", sock)
    return network.answer(ending, Target(ln.protocol, "0.0.0.0", ln.port, "/healthz", ""))


def build_plan(cluster: "Cluster") -> Plan:
    """The whole data plane for the cluster's current state (pure: reads the cluster only)."""
    builder = _Builder(cluster.network())
    builder.namespace(OUTSIDE_NS, "outside", "outside")
    for node, ns in builder.node_names():
        builder.namespace(ns, "node", f"node:{node}")
    builder.lan()
    builder.nodes()
    builder.load_balancers()
    builder.pods()
    plan = Plan(
        tuple(builder.namespaces), tuple(builder.links), tuple(builder.addresses),
        tuple(builder.neighbours), tuple(builder.routes), builder.rules(), builder.listeners(),
        tuple(builder.pod_rules),
    )
    check_names(plan.names())
    return plan


def check_names(names: Iterable[str]) -> None:
    """Every name starts with ``kp`` and interface-sized names fit ``IFNAMSIZ`` (else ValueError)."""
    for name in names:
        if not name.startswith(PREFIX) or len(name) > MAX_IFNAME or not name.replace("-", "").isalnum():
            raise ValueError(f"netns plan: unsafe name {name!r}")
