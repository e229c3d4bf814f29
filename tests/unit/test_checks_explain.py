"""Feedback for failed probes: each classic mistake, reproduced on the simulator, gets its exact diagnosis.

Every test builds the learner's mistake from manifests, probes it as a check would, and asserts
the whole learner-facing message, the one-line fix and the rule id (grader.checks.explain).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.backends.sim import SimBackend
from grader.checks import explain
from grader.checks import messages as msg
from grader.checks.explain import Explanation, explain_client_ip, happened

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
CLIENTS = (SCENARIOS / "net" / "clients.yaml").read_text()
S01 = (SCENARIOS / "api" / "S01-nodeport-basic.yaml").read_text()
S13 = (SCENARIOS / "net" / "S13-mysql-33306.yaml").read_text()
S14 = (SCENARIOS / "net" / "S14-named-targetport.yaml").read_text()
S19 = (SCENARIOS / "net" / "S19-not-ready.yaml").read_text()
S21 = (SCENARIOS / "net" / "S21-liar.yaml").read_text()
S23 = (SCENARIOS / "net" / "S23-etp-local.yaml").read_text()
S30 = (SCENARIOS / "net" / "S30-hostport.yaml").read_text()


def backend(*manifests: str) -> SimBackend:
    """A fresh reference cluster with the client pods and the learner's manifests applied."""
    sim = SimBackend()
    for text in (CLIENTS, *manifests):
        result = sim.apply(text)
        assert result.ok, result.stderr
    return sim


def why(sim, source: str, url: str) -> Explanation:
    return explain(sim.curl(source, url), sim)


class Opaque:
    """A backend that hides its simulator, as a real cluster would: only the protocol is visible."""

    name = "opaque"

    def __init__(self, sim: SimBackend) -> None:
        self._sim = sim

    def __getattr__(self, attr: str):
        if attr == "cluster":
            raise AttributeError(attr)
        return getattr(self._sim, attr)


# ---------------------------------------------------------------------- TIMEOUT


def test_r_tp_2_local_policy_on_a_node_without_endpoints_names_the_nodes_that_have_them():
    """The bar: outside -> kind-worker2:30080 times out because of externalTrafficPolicy Local."""
    sim = backend(S23)
    got = why(sim, "outside", "kind-worker2:30080")
    assert got.message == (
        "curl from outside to kind-worker2:30080 timed out: the Service echo has externalTrafficPolicy "
        "Local and kind-worker2 runs none of its pods (R-TP-2)"
    )
    assert got.hint == "curl a node that runs one of its pods (kind-worker), or set externalTrafficPolicy: Cluster"
    assert got.rule == "R-TP-2"
    assert got.evidence.startswith("$ kubectl get pods -l app=echo -o wide\nNAME ")
    assert got.evidence.count("kind-worker ") == 2


def test_r_tp_4_internal_policy_local_on_the_clients_node_without_endpoints():
    """internalTrafficPolicy Local drops ClusterIP traffic from a node without a local pod."""
    sim = backend("""
apiVersion: v1
kind: Pod
metadata: {name: one, labels: {app: one}}
spec:
  nodeName: kind-worker
  containers: [{name: web, image: "registry.k8s.io/e2e-test-images/agnhost:2.53", args: ["netexec", "--http-port=8080"]}]
---
apiVersion: v1
kind: Service
metadata: {name: one}
spec: {internalTrafficPolicy: Local, selector: {app: one}, ports: [{port: 80, targetPort: 8080}]}
""")
    got = why(sim, "pod/client-w2", "one")
    assert got.message == (
        "curl from pod/client-w2 to one timed out: the Service one has internalTrafficPolicy Local and "
        "kind-worker2, the client's node, runs none of its pods (R-TP-4)"
    )
    assert got.hint == ("run the client on a node that runs one of its pods (kind-worker), "
                        "or set internalTrafficPolicy: Cluster")


def test_r_kp_3_cluster_ip_curled_from_outside_suggests_the_node_port():
    sim = backend(S01)
    ip = sim.get("service", "myapp").spec.cluster_ip
    got = why(sim, "outside", f"{ip}:80")
    assert got.message == (
        f"curl from outside to {ip}:80 timed out: {ip} is the ClusterIP of the Service myapp; "
        "ClusterIPs are reachable only from inside the cluster (R-KP-3)"
    )
    assert got.hint == "from outside, curl a node's IP on the Service's nodePort: 172.18.0.2:30008"
    assert "80:30008/TCP" in got.evidence


def test_cluster_ip_of_a_cluster_ip_service_from_outside_suggests_type_node_port():
    sim = backend(S13)
    ip = sim.get("service", "mysql").spec.cluster_ip
    assert why(sim, "outside", f"{ip}:33306").hint == msg.FIX_MAKE_NODE_PORT


def test_pod_ip_curled_from_outside_is_explained():
    sim = backend(S21)
    ip = sim.get("pod", "liar").status.pod_ip
    got = why(sim, "outside", f"{ip}:8080")
    assert got.message == (f"curl from outside to {ip}:8080 timed out: {ip} is the IP of pod liar; "
                           "pod IPs are reachable only from inside the cluster")
    assert got.hint == msg.FIX_EXPOSE_POD


def test_r_kp_10_node_port_used_on_the_cluster_ip_names_the_service_port():
    sim = backend(S01)
    got = why(sim, "pod/client-w1", "myapp:30008")
    assert got.message == (
        "curl from pod/client-w1 to myapp:30008 timed out: the Service myapp answers on its ClusterIP only "
        "on its ports (80/TCP); nothing handles port 30008, so the packet is dropped (R-KP-10)"
    )
    assert got.hint == ("30008 is the nodePort, which is open on the nodes' IPs; inside the cluster use the "
                        "Service port: myapp:80")
    assert got.rule == "R-KP-10"


def test_r_kp_10_target_port_used_on_the_cluster_ip_names_the_service_port():
    sim = backend(S13.replace("ports: [{port: 33306}]", "ports: [{port: 33306, targetPort: 3306}]"))
    got = why(sim, "pod/client-w1", "mysql:3306")
    assert got.hint == "3306 is the targetPort (the pods' port); clients of the Service use its port: mysql:33306"


def test_r_kp_10_any_other_port_lists_the_service_ports():
    sim = backend(S01)
    assert why(sim, "pod/client-w1", "myapp:8080").hint == "use one of the Service's ports: myapp:80"


# ---------------------------------------------------------------------- REFUSED: no endpoints


def test_r_ep_1_selector_typo_suggests_the_closest_pod_labels():
    sim = backend(S01.replace("selector: {app: myapp}", "selector: {app: my-app}"))
    got = why(sim, "pod/client-w1", "myapp:80")
    assert got.message == (
        "curl from pod/client-w1 to myapp:80 was refused: the Service myapp has no endpoints: its selector "
        "app=my-app matches no pod in namespace default (R-EP-1)"
    )
    pod = sorted(p.name for p in sim.list("pods") if p.name.startswith("myapp-"))[0]
    assert got.hint == f"the closest pod labels are app=myapp (pod {pod}); set the Service's selector to app=myapp"
    assert got.evidence == "$ kubectl get endpoints myapp\nNAME    ENDPOINTS   AGE\nmyapp   <none>      0s"


def test_r_ep_1_selector_typo_on_the_node_port_gets_the_same_diagnosis():
    sim = backend(S01.replace("selector: {app: myapp}", "selector: {app: my-app}"))
    got = why(sim, "outside", "kind-worker:30008")
    assert got.rule == "R-EP-1"
    assert got.message.startswith("curl from outside to kind-worker:30008 was refused: the Service myapp has no endpoints")


def test_r_ep_1_selector_with_no_pods_at_all_says_to_create_them():
    """The client pods carry no labels, so there is nothing to suggest but creating the pods."""
    sim = backend("""
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
""")
    got = why(sim, "pod/client-w1", "web")
    assert got.hint == "create the pods (e.g. a Deployment whose pod template has the labels app=web)"


def test_r_ep_2_service_without_selector_has_no_endpoints():
    sim = backend("""
apiVersion: v1
kind: Service
metadata: {name: bare}
spec: {ports: [{port: 80}]}
""")
    got = why(sim, "pod/client-w1", "bare")
    assert got.message == ("curl from pod/client-w1 to bare was refused: the Service bare has no selector, "
                           "so no endpoints are created for it (R-EP-2)")
    assert got.hint == msg.FIX_ADD_SELECTOR


def test_r_ep_3_pod_not_ready_points_at_the_readiness_probe():
    sim = backend(S19)
    got = why(sim, "pod/client-w1", "slow")
    assert got.message == (
        "curl from pod/client-w1 to slow was refused: the Service slow has no endpoints: none of its pods is "
        "ready (slow: Running, not ready: its readiness probe fails) (R-EP-3)"
    )
    assert got.hint == "make the readiness probe pass: kubectl describe pod slow shows why it fails"
    assert got.evidence.startswith("$ kubectl describe pod slow  (events)\nEvents:\n")
    assert got.evidence.endswith("kubelet            Readiness probe failed:")


def test_r_ep_3_pending_pods_behind_a_service_show_the_scheduling_event():
    sim = backend("""
apiVersion: v1
kind: Pod
metadata: {name: stuck, labels: {app: stuck}}
spec:
  nodeSelector: {disk: ssd}
  containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Service
metadata: {name: stuck}
spec: {selector: {app: stuck}, ports: [{port: 80}]}
""")
    got = why(sim, "pod/client-w1", "stuck")
    assert got.message.endswith("none of its pods is ready (stuck: Pending) (R-EP-3)")
    assert got.hint == "get the pods running first: kubectl describe pod stuck shows why they are not"
    assert "FailedScheduling" in got.evidence


def test_r_ep_5_named_target_port_that_no_pod_declares():
    sim = backend(S14.replace("targetPort: http", "targetPort: web-http"))
    got = why(sim, "pod/client-w1", "shop")
    assert got.message == (
        "curl from pod/client-w1 to shop was refused: the Service shop has no endpoints: its targetPort "
        "'web-http' names no containerPort of its pods (R-EP-5)"
    )
    assert got.hint == ("name the pods' containerPort 'web-http' (name: web-http, containerPort: 8080), "
                        "or set targetPort: 8080")
    assert got.evidence.startswith("$ kubectl get endpoints shop\n")


# ---------------------------------------------------------------------- REFUSED: at the pod


def test_r_sd_2_missing_target_port_defaults_to_port_and_the_fix_names_the_listening_port():
    """The mysql 33306 trap (S13): targetPort defaults to port; mysql listens on 3306."""
    sim = backend(S13)
    got = why(sim, "pod/client-w2", "mysql:33306")
    assert got.message == (
        "curl from pod/client-w2 to mysql:33306 was refused: the Service mysql sends port 33306 to port 33306 "
        "on pod mysql (targetPort is 33306: when omitted it defaults to port, R-SD-2), but its containers "
        "listen on 3306/TCP and 33060/TCP (R-CP-1)"
    )
    assert got.hint == "set targetPort: 3306"
    assert got.rule == "R-CP-1"
    assert "TargetPort:               33306/TCP" in got.evidence


def test_r_cp_1_wrong_target_port_names_what_the_containers_listen_on():
    sim = backend(S21.replace("ports: [{port: 80}]", "ports: [{port: 80, targetPort: 9090}]"))
    got = why(sim, "pod/client-w1", "liar")
    assert got.message == (
        "curl from pod/client-w1 to liar was refused: the Service liar sends port 80 to targetPort 9090 on "
        "pod liar, but its containers listen on 8080/TCP and 8081/UDP (R-CP-1)"
    )
    assert got.hint == "set targetPort: 8080"


def test_r_cp_1_container_port_that_lies_is_not_a_listener():
    """S21: containerPort 80 is declared, the app listens on 8080; the fix is the listening port."""
    assert why(backend(S21), "pod/client-w1", "liar").hint == "set targetPort: 8080"


def test_r_cp_1_pod_ip_on_a_port_nothing_listens_on():
    sim = backend(S21)
    ip = sim.get("pod", "liar").status.pod_ip
    got = why(sim, "pod/client-w1", f"{ip}:80")
    assert got.message == (f"curl from pod/client-w1 to {ip}:80 was refused: nothing listens on port 80 in pod "
                           "liar: its containers listen on 8080/TCP and 8081/UDP (R-CP-1)")
    assert got.hint == "use port 8080, where the app listens"


def test_r_cp_4_app_bound_to_loopback_is_not_reachable_on_the_pod_ip():
    sim = backend("""
apiVersion: v1
kind: Pod
metadata: {name: lo, labels: {app: lo}, annotations: {listen.kports.dev/app: "127.0.0.1:8080/TCP"}}
spec:
  containers: [{name: app, image: "example.com/lo:1"}]
---
apiVersion: v1
kind: Service
metadata: {name: lo}
spec: {selector: {app: lo}, ports: [{port: 80, targetPort: 8080}]}
""")
    got = why(sim, "pod/client-w1", "lo")
    assert got.message == ("curl from pod/client-w1 to lo was refused: the app in pod lo listens on 127.0.0.1:8080 "
                           "only, which is not reachable on the pod's IP (R-CP-4)")
    assert got.hint == msg.FIX_LOOPBACK


def test_unknown_app_gets_the_listen_annotation_hint():
    sim = backend("""
apiVersion: v1
kind: Pod
metadata: {name: mystery, labels: {app: mystery}}
spec:
  containers: [{name: app, image: "example.com/mystery:1", ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: mystery}
spec: {selector: {app: mystery}, ports: [{port: 80, targetPort: 8080}]}
""")
    got = why(sim, "pod/client-w1", "mystery")
    assert got.message == ("curl from pod/client-w1 to mystery reached an app the simulator cannot model: the "
                           "simulator cannot tell what the app in pod mystery (image example.com/mystery:1) listens on")
    assert got.hint == 'declare what the app listens on with the pod annotation listen.kports.dev/app: "8080/TCP"'


# ---------------------------------------------------------------------- REFUSED: at a node


def test_r_kp_4_service_port_curled_on_a_node_names_the_node_port():
    sim = backend(S01)
    got = why(sim, "outside", "kind-worker:80")
    assert got.message == (
        "curl from outside to kind-worker:80 was refused: kind-worker does not listen on port 80: that is the "
        "Service port of myapp, which works on its ClusterIP only; on the nodes the Service listens on its "
        "nodePort 30008 (R-KP-4)"
    )
    assert got.hint == "curl kind-worker:30008"
    assert "80:30008/TCP" in got.evidence


def test_r_kp_4_cluster_ip_service_opens_nothing_on_the_nodes():
    sim = backend(S13)
    got = why(sim, "outside", "kind-worker:33306")
    assert got.message.endswith("kind-worker does not listen on port 33306: the Service mysql is type ClusterIP, "
                                "which opens no port on the nodes (R-KP-4)")
    assert got.hint == msg.FIX_NODE_PORT_TYPE


def test_r_hp_3_host_port_on_the_wrong_node_names_the_pods_node():
    sim = backend(S30)
    got = why(sim, "outside", "kind-worker2:8080")
    assert got.message == (
        "curl from outside to kind-worker2:8080 was refused: hostPort 8080 is open only on kind-worker "
        "(172.18.0.3), the node that runs pod hp; kind-worker2 runs no pod with that hostPort (R-HP-3)"
    )
    assert got.hint == "curl kind-worker:8080"
    assert got.evidence.startswith("$ kubectl get pod hp -o wide\n")


def test_r_hp_3_host_port_hint_uses_an_ip_when_the_learner_used_one():
    assert why(backend(S30), "outside", "172.18.0.4:8080").hint == "curl 172.18.0.3:8080"


def test_r_hp_3_container_port_is_not_opened_on_the_node():
    got = why(backend(S30), "outside", "kind-worker:80")
    assert got.message.endswith("kind-worker does not listen on port 80: containerPort 80 of pod hp is not opened "
                                "on the node; only a hostPort or a NodePort Service opens a node port (R-HP-3)")
    assert got.hint == "add hostPort: 80 to that container port, or expose the pod with a NodePort Service"


# ---------------------------------------------------------------------- DNS


def test_dns_typo_suggests_the_closest_service_name():
    got = why(backend(S01), "pod/client-w1", "myap:80")
    assert got.message == ("curl from pod/client-w1 to myap:80 could not resolve host myap: there is no Service "
                           "myap in namespace default")
    assert got.hint == "did you mean myapp?"
    assert got.evidence.startswith("$ kubectl get services\n")


def test_dns_service_in_another_namespace_suggests_the_qualified_name():
    sim = backend("""
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Service
metadata: {name: cart, namespace: shop}
spec: {selector: {app: cart}, ports: [{port: 80}]}
""")
    got = why(sim, "pod/client-w1", "cart")
    assert got.message == ("curl from pod/client-w1 to cart could not resolve host cart: there is no Service cart "
                           "in namespace default (the client's namespace); one exists in namespace shop")
    assert got.hint == "use cart.shop (or cart.shop.svc.cluster.local)"


def test_dns_explicit_wrong_namespace_is_not_called_the_clients():
    got = why(backend(S01), "pod/client-w1", "myapp.shop:80")
    assert got.message.endswith("there is no Service myapp in namespace shop; one exists in namespace default")


def test_dns_service_name_from_outside_suggests_a_node_port():
    got = why(backend(S01), "outside", "myapp:80")
    assert got.message == ("curl from outside to myapp:80 could not resolve host myapp: myapp is a Service name, "
                           "and only pods use the cluster DNS; outside knows node names and IPs only")
    assert got.hint == "from outside, curl a node's IP on the Service's nodePort: 172.18.0.2:30008"


def test_dns_pod_name_is_not_a_dns_name():
    sim = backend(S21)
    sim.delete("service", "liar")
    ip = sim.get("pod", "liar").status.pod_ip
    got = why(sim, "pod/client-w1", "liar:8080")
    assert got.message.endswith("liar is the name of a pod, and pods get no DNS name of their own; only Services do")
    assert got.hint == f"curl the pod's IP ({ip}:8080) or the name of a Service that selects it"


def test_r_hl_1_headless_service_without_ready_endpoints_has_no_addresses():
    sim = backend("""
apiVersion: v1
kind: Service
metadata: {name: hl}
spec: {clusterIP: None, selector: {app: none}, ports: [{port: 80}]}
""")
    got = why(sim, "pod/client-w1", "hl")
    assert got.message == ("curl from pod/client-w1 to hl could not resolve host hl: the Service hl is headless "
                           "(clusterIP: None) and has no ready endpoints, so its name has no addresses (R-HL-1)")


# ---------------------------------------------------------------------- other backends, client address


def test_other_backends_get_the_recorded_ending_and_its_rule():
    """Without the simulator's state the explanation is the hop where the packet died."""
    got = why(Opaque(backend(S23)), "outside", "kind-worker2:30080")
    assert got == Explanation(
        "curl from outside to kind-worker2:30080 timed out: default/echo has no local endpoints (R-TP-2)",
        rule="R-TP-2",
    )


def test_other_backends_without_a_journey_get_the_outcome_alone():
    sim = backend(S23)
    probe = sim.curl("outside", "kind-worker2:30080")
    bare = type(probe)(probe.source, probe.url, probe.outcome, probe.exit_code, probe.stdout, probe.stderr)
    assert explain(bare, None) == Explanation("curl from outside to kind-worker2:30080 timed out")


def _real(probe):
    """The probe as a real data plane reports it: curl's outcome and output, no journey."""
    return type(probe)(probe.source, probe.url, probe.outcome, probe.exit_code, probe.stdout, probe.stderr,
                       probe.answered_by, probe.container, probe.client_ip)


def test_r_sd_2_a_real_data_plane_gets_the_diagnosis_of_its_simulated_twin():
    """netns/kube record no hops; replayed on the backend's twin cluster, the same outcome explains it."""
    sim = backend(S13)
    probe = sim.curl("pod/client-w2", "mysql:33306")
    assert explain(_real(probe), sim) == explain(probe, sim)
    assert "(targetPort is 33306: when omitted it defaults to port, R-SD-2)" in explain(_real(probe), sim).message


def test_r_tp_2_a_real_timeout_is_explained_like_the_simulated_one():
    sim = backend(S23)
    probe = sim.curl("outside", "kind-worker2:30080")
    assert explain(_real(probe), sim).rule == "R-TP-2"
    assert explain(_real(probe), sim) == explain(probe, sim)


def test_a_twin_that_saw_another_outcome_explains_nothing():
    """When the kernel and the model disagree, the learner gets curl's outcome alone, never a made-up why."""
    sim = backend(S23)
    probe = sim.curl("outside", "kind-worker:30080")  # reached on the simulator
    refused = type(probe)(probe.source, probe.url, "REFUSED", 7, "", "curl: (7) Failed to connect")
    assert explain(refused, sim) == Explanation("curl from outside to kind-worker:30080 was refused")


def test_r_kp_9_a_real_snat_is_located_by_the_twin():
    sim = backend(S23.replace("  externalTrafficPolicy: Local\n", ""))
    probe = sim.curl("outside", "kind-worker2:30080/clientip")
    assert explain_client_ip(_real(probe), "172.18.0.1", sim) == explain_client_ip(probe, "172.18.0.1", sim)


def test_a_reached_probe_is_explained_by_who_answered():
    sim = backend(S30)
    probe = sim.curl("outside", "kind-worker:8080")
    assert explain(probe, sim) == Explanation(happened(probe))
    assert happened(probe).startswith("curl from outside to kind-worker:8080 reached pod default/hp (container web); "
                                      "it saw the client as 172.18.0.1:")


def test_r_kp_9_snat_on_a_cluster_policy_node_port_says_where_and_how_to_keep_the_client():
    sim = backend(S23.replace("  externalTrafficPolicy: Local\n", ""))
    probe = sim.curl("outside", "kind-worker2:30080/clientip")
    got = explain_client_ip(probe, "172.18.0.1", sim)
    assert got.message == (
        f"curl from outside to kind-worker2:30080/clientip reached pod {probe.answered_by} (container web): it saw "
        "the client as 172.18.0.4, not as 172.18.0.1: kind-worker2 rewrote the source address (nat KUBE-POSTROUTING: "
        "MASQUERADE source 172.18.0.1 -> 172.18.0.4) (R-KP-9)"
    )
    assert got.hint == msg.FIX_LOCAL_POLICY


@pytest.mark.parametrize("source, url", [
    ("outside", "kind-worker2:30080"),
    ("pod/client-w1", "nope"),
    ("outside", "kind-worker:9"),
])
def test_explain_never_raises_on_a_cluster_it_cannot_read(source, url):
    """A diagnosis that breaks falls back to the recorded ending (explain never raises)."""
    sim = backend(S23)
    probe = sim.curl(source, url)

    class Broken:
        cluster = object()  # has no registry: every diagnosis fails

    assert explain(probe, Broken()).message.startswith(happened(probe))


def test_r_hp_2_host_port_forwards_to_a_container_port_nothing_listens_on():
    """nginx listens on 80; hostPort 8080 -> containerPort 8080 reaches the pod on a closed port."""
    sim = backend(S30.replace("containerPort: 80, hostPort: 8080", "containerPort: 8080, hostPort: 8080"))
    got = why(sim, "outside", "kind-worker:8080")
    assert got.message == ("curl from outside to kind-worker:8080 was refused: hostPort 8080 forwards to containerPort "
                           "8080 of pod hp, but its containers listen on 80/TCP (R-HP-2)")
    assert got.hint == "set containerPort: 80 (the hostPort forwards to the containerPort)"
