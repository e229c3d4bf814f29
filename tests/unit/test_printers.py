"""Golden layouts of ``kubectl get`` (tables, ``-o wide``, ``-A``, ``-o yaml``) — rules R-K-1..4, R-K-6, R-EP-7."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import datetime, timedelta, timezone

import pytest

from grader.errors import UsageError
from grader.model.kinds import decode_document
from grader.model.yamlload import load_documents
from grader.sim.printers import get_table, get_yaml, human_duration, tabwrite

CREATED = "2026-01-01T00:00:00Z"
NOW = datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)


def load(text: str):
    """Decode every document of ``text`` (dedented); namespaced objects land in ``default``."""
    out = []
    for doc in load_documents(textwrap.dedent(text)):
        obj = decode_document(doc)
        meta = dataclasses.replace(
            obj.metadata,
            namespace=obj.metadata.namespace or ("default" if obj.NAMESPACED else ""),
            creation_timestamp=obj.metadata.creation_timestamp or CREATED,
        )
        out.append(obj.replace(metadata=meta))
    return out


def allocated(svc, cluster_ip: str = "", **spec):
    """What the API server fills in: clusterIP(s) and any other spec fields."""
    ips = (cluster_ip,) if cluster_ip else ()
    return svc.replace(spec=dataclasses.replace(svc.spec, cluster_ip=cluster_ip, cluster_ips=ips, **spec))


def table(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --------------------------------------------------------------------------- services


def test_r_k_1_get_svc_columns_are_name_type_cluster_ip_external_ip_ports_age():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {type: ClusterIP, selector: {app: web}, ports: [{port: 80, protocol: TCP, targetPort: 8080}]}
        """
    )
    expected = table(
        """
        NAME   TYPE        CLUSTER-IP      EXTERNAL-IP   PORT(S)   AGE
        web    ClusterIP   10.96.100.200   <none>        80/TCP    5m
        """
    )
    assert get_table("services", [allocated(svc, "10.96.100.200")], now=NOW) == expected


def test_r_k_1_wide_adds_selector_column_last():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {type: ClusterIP, selector: {tier: front, app: web}, ports: [{port: 80, protocol: TCP}]}
        """
    )
    (bare,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: external-db}
        spec: {type: ClusterIP, ports: [{port: 3306, protocol: TCP}]}
        """
    )
    expected = table(
        """
        NAME          TYPE        CLUSTER-IP    EXTERNAL-IP   PORT(S)    AGE   SELECTOR
        external-db   ClusterIP   10.96.0.20    <none>        3306/TCP   5m    <none>
        web           ClusterIP   10.96.0.100   <none>        80/TCP     5m    app=web,tier=front
        """
    )
    services = [allocated(svc, "10.96.0.100"), allocated(bare, "10.96.0.20")]
    assert get_table("svc", services, now=NOW, wide=True) == expected


def test_r_k_2_ports_column_shows_port_nodeport_protocol_never_target_port():
    docs = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: plain}
        spec: {type: ClusterIP, ports: [{port: 80, targetPort: 8080, protocol: TCP}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: myapp}
        spec: {type: NodePort, ports: [{port: 80, targetPort: 80, nodePort: 30008, protocol: TCP}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          type: NodePort
          ports:
          - {name: http, port: 80, targetPort: 8080, nodePort: 30080, protocol: TCP}
          - {name: https, port: 443, targetPort: 8443, nodePort: 30443, protocol: TCP}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: dns}
        spec:
          type: NodePort
          ports:
          - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 5353, nodePort: 30053}
          - {name: dns-udp, port: 53, protocol: UDP, targetPort: 5353, nodePort: 30053}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: postgres}
        spec: {type: ClusterIP, ports: [{port: 5432, targetPort: 5432, protocol: TCP}]}
        """
    )
    ips = ["10.96.0.11", "10.96.0.12", "10.96.0.13", "10.96.0.14", "10.96.0.15"]
    services = [allocated(svc, ip) for svc, ip in zip(docs, ips)]
    expected = table(
        """
        NAME       TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)                      AGE
        dns        NodePort    10.96.0.14   <none>        53:30053/TCP,53:30053/UDP    5m
        myapp      NodePort    10.96.0.12   <none>        80:30008/TCP                 5m
        plain      ClusterIP   10.96.0.11   <none>        80/TCP                       5m
        postgres   ClusterIP   10.96.0.15   <none>        5432/TCP                     5m
        web        NodePort    10.96.0.13   <none>        80:30080/TCP,443:30443/TCP   5m
        """
    )
    assert get_table("services", services, now=NOW) == expected


def test_r_k_2_service_without_ports_shows_none():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: headless}
        spec: {type: ClusterIP, clusterIP: None, clusterIPs: [None]}
        """
    )
    expected = table(
        """
        NAME       TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE
        headless   ClusterIP   None         <none>        <none>    5m
        """
    )
    assert get_table("services", [svc], now=NOW) == expected


def test_r_k_3_cluster_ip_is_none_for_headless_and_angle_none_for_external_name():
    docs = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: db}
        spec: {type: ClusterIP, clusterIP: None, clusterIPs: [None], ports: [{port: 5432, protocol: TCP}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: external}
        spec: {type: ExternalName, externalName: db.example.com}
        """
    )
    expected = table(
        """
        NAME       TYPE           CLUSTER-IP   EXTERNAL-IP      PORT(S)    AGE
        db         ClusterIP      None         <none>           5432/TCP   5m
        external   ExternalName   <none>       db.example.com   <none>     5m
        """
    )
    assert get_table("services", docs, now=NOW) == expected


def test_r_k_3_cluster_ip_column_shows_the_first_of_cluster_ips():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: dual}
        spec:
          type: ClusterIP
          clusterIP: 10.96.0.7
          clusterIPs: [10.96.0.7, "fd00:10:96::7"]
          ports: [{port: 80, protocol: TCP}]
        """
    )
    assert get_table("services", [svc], now=NOW) == table(
        """
        NAME   TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE
        dual   ClusterIP   10.96.0.7    <none>        80/TCP    5m
        """
    )


def test_r_k_4_external_ip_per_service_type():
    docs = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: a-clusterip}
        spec: {type: ClusterIP, ports: [{port: 80, protocol: TCP}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: b-external-ips}
        spec: {type: NodePort, externalIPs: [198.51.100.7, 198.51.100.8], ports: [{port: 80, protocol: TCP, nodePort: 30100}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: c-lb-pending}
        spec: {type: LoadBalancer, ports: [{port: 80, protocol: TCP, nodePort: 31000}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: d-lb-ready}
        spec: {type: LoadBalancer, externalIPs: [198.51.100.9], ports: [{port: 80, protocol: TCP, nodePort: 31001}]}
        status:
          loadBalancer:
            ingress: [{ip: 172.18.255.201}, {ip: 172.18.255.200}, {ip: 172.18.255.201}, {hostname: lb.example.com}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: e-external-name}
        spec: {type: ExternalName, externalName: db.example.com}
        """
    )
    ips = ["10.96.0.1", "10.96.0.2", "10.96.0.3", "10.96.0.4", ""]
    services = [allocated(svc, ip) for svc, ip in zip(docs, ips)]
    expected = table(
        """
        NAME              TYPE           CLUSTER-IP   EXTERNAL-IP                                                 PORT(S)        AGE
        a-clusterip       ClusterIP      10.96.0.1    <none>                                                      80/TCP         5m
        b-external-ips    NodePort       10.96.0.2    198.51.100.7,198.51.100.8                                   80:30100/TCP   5m
        c-lb-pending      LoadBalancer   10.96.0.3    <pending>                                                   80:31000/TCP   5m
        d-lb-ready        LoadBalancer   10.96.0.4    172.18.255.200,172.18.255.201,lb.example.com,198.51.100.9   80:31001/TCP   5m
        e-external-name   ExternalName   <none>       db.example.com                                              <none>         5m
        """
    )
    assert get_table("services", services, now=NOW) == expected


# --------------------------------------------------------------------------- pods


POD_WITH_HOSTPORT = """
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec:
  nodeName: kind-worker
  containers:
  - name: web
    image: nginx:1.27
    ports: [{containerPort: 80, hostPort: 8080, protocol: TCP}]
status:
  phase: Running
  hostIP: 172.18.0.3
  podIP: 10.244.1.2
  podIPs: [{ip: 10.244.1.2}]
  conditions: [{type: Ready, status: "True"}]
  containerStatuses:
  - name: web
    ready: true
    restartCount: 0
    state: {running: {startedAt: "2026-01-01T00:00:02Z"}}
"""


def test_r_k_6_get_pods_shows_no_port_columns():
    (pod,) = load(POD_WITH_HOSTPORT)
    expected = table(
        """
        NAME    READY   STATUS    RESTARTS   AGE
        web-0   1/1     Running   0          5m
        """
    )
    assert get_table("pods", [pod], now=NOW) == expected


def test_r_k_6_wide_pods_add_ip_node_nominated_node_readiness_gates_but_no_ports():
    (pod,) = load(POD_WITH_HOSTPORT)
    expected = table(
        """
        NAME    READY   STATUS    RESTARTS   AGE   IP           NODE          NOMINATED NODE   READINESS GATES
        web-0   1/1     Running   0          5m    10.244.1.2   kind-worker   <none>           <none>
        """
    )
    assert get_table("pods", [pod], now=NOW, wide=True) == expected


def test_pod_status_column_follows_print_pod_and_long_names_widen_the_name_column():
    docs = load(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: myapp-7c5ddbdf54-abcde}
        spec: {containers: [{name: web, image: nginx}]}
        status: {phase: Pending}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: crash}
        spec: {nodeName: kind-worker, containers: [{name: web, image: nginx}, {name: side, image: busybox}]}
        status:
          phase: Running
          containerStatuses:
          - name: web
            ready: false
            restartCount: 4
            state: {waiting: {reason: CrashLoopBackOff, message: "back-off 1m20s"}}
            lastState: {terminated: {exitCode: 1, reason: Error, finishedAt: "2026-01-01T00:04:30Z"}}
          - name: side
            ready: true
            restartCount: 0
            state: {running: {startedAt: "2026-01-01T00:00:05Z"}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: done}
        spec: {containers: [{name: job, image: busybox}]}
        status:
          phase: Succeeded
          containerStatuses:
          - {name: job, ready: false, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed}}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: killed}
        spec: {containers: [{name: app, image: busybox}]}
        status:
          phase: Failed
          containerStatuses:
          - {name: app, ready: false, restartCount: 1, state: {terminated: {exitCode: 137, signal: 9}}}
        """
    )
    expected = table(
        """
        NAME                     READY   STATUS             RESTARTS      AGE
        crash                    1/2     CrashLoopBackOff   4 (30s ago)   5m
        done                     0/1     Completed          0             5m
        killed                   0/1     Signal:9           1             5m
        myapp-7c5ddbdf54-abcde   0/1     Pending            0             5m
        """
    )
    assert get_table("pods", docs, now=NOW) == expected


def test_pod_status_shows_init_progress_and_terminating():
    docs = load(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: init}
        spec:
          initContainers: [{name: wait, image: busybox}, {name: migrate, image: busybox}]
          containers: [{name: app, image: nginx}]
        status:
          phase: Pending
          initContainerStatuses:
          - {name: wait, ready: true, restartCount: 0, state: {terminated: {exitCode: 0, reason: Completed}}}
          - {name: migrate, ready: false, restartCount: 0, state: {running: {startedAt: "2026-01-01T00:01:00Z"}}}
          containerStatuses:
          - {name: app, ready: false, restartCount: 0, state: {waiting: {reason: PodInitializing}}}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: leaving, deletionTimestamp: "2026-01-01T00:04:00Z"}
        spec: {containers: [{name: app, image: nginx}]}
        status:
          phase: Running
          containerStatuses:
          - {name: app, ready: true, restartCount: 0, state: {running: {startedAt: "2026-01-01T00:00:05Z"}}}
        """
    )
    expected = table(
        """
        NAME      READY   STATUS        RESTARTS   AGE
        init      0/1     Init:1/2      0          5m
        leaving   1/1     Terminating   0          5m
        """
    )
    assert get_table("pods", docs, now=NOW) == expected


def test_all_namespaces_puts_namespace_first_and_sorts_by_namespace_then_name():
    docs = load(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: b, namespace: team-a}
        spec: {containers: [{name: c, image: i}]}
        status: {phase: Pending}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: team-b}
        spec: {containers: [{name: c, image: i}]}
        status: {phase: Pending}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: z}
        spec: {containers: [{name: c, image: i}]}
        status: {phase: Pending}
        """
    )
    expected = table(
        """
        NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE
        default     z      0/1     Pending   0          5m
        team-a      b      0/1     Pending   0          5m
        team-b      a      0/1     Pending   0          5m
        """
    )
    assert get_table("pods", docs, now=NOW, all_namespaces=True) == expected


def test_empty_lists_give_kubectls_no_resources_message():
    assert get_table("pods", [], now=NOW) == "No resources found in default namespace.\n"
    assert get_table("svc", [], now=NOW, namespace="shop") == "No resources found in shop namespace.\n"
    assert get_table("pods", [], now=NOW, all_namespaces=True) == "No resources found\n"
    assert get_table("nodes", [], now=NOW) == "No resources found\n"


def test_unknown_resource_type_is_refused_with_kubectls_error():
    with pytest.raises(UsageError, match='the server doesn\'t have a resource type "ingresses"'):
        get_table("ingresses", [], now=NOW)


# --------------------------------------------------------------------------- endpoints and slices


def test_r_ep_7_get_endpoints_lists_ip_port_pairs_more_none_and_empty():
    docs = load(
        """
        apiVersion: v1
        kind: Endpoints
        metadata: {name: shop}
        subsets:
        - addresses: [{ip: 10.244.1.5}]
          ports: [{port: 8080, protocol: TCP}]
        - addresses: [{ip: 10.244.2.7}]
          ports: [{port: 9090, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: web}
        subsets:
        - addresses: [{ip: 10.244.1.2}, {ip: 10.244.1.3}, {ip: 10.244.2.2}, {ip: 10.244.2.3}, {ip: 10.244.2.4}]
          ports: [{port: 80, protocol: TCP}]
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: nomatch}
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {name: notready}
        subsets:
        - notReadyAddresses: [{ip: 10.244.1.9}]
          ports: [{port: 80, protocol: TCP}]
        """
    )
    expected = table(
        """
        NAME       ENDPOINTS                                               AGE
        nomatch    <none>                                                  5m
        notready                                                           5m
        shop       10.244.1.5:8080,10.244.2.7:9090                         5m
        web        10.244.1.2:80,10.244.1.3:80,10.244.2.2:80 + 2 more...   5m
        """
    )
    assert get_table("endpoints", docs, now=NOW) == expected


def test_get_endpointslices_formats_ports_and_endpoints_like_kubectl():
    docs = load(
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-abc12, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 80, protocol: TCP}, {name: https, port: 443, protocol: TCP}]
        endpoints:
        - {addresses: [10.244.1.2], conditions: {ready: true}}
        - {addresses: [10.244.1.3], conditions: {ready: true}}
        - {addresses: [10.244.2.2], conditions: {ready: false}}
        - {addresses: [10.244.2.3], conditions: {ready: true}}
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: empty-x9z8y}
        addressType: IPv4
        """
    )
    expected = table(
        """
        NAME          ADDRESSTYPE   PORTS     ENDPOINTS                                      AGE
        empty-x9z8y   IPv4          <unset>   <unset>                                        5m
        web-abc12     IPv4          80,443    10.244.1.2,10.244.1.3,10.244.2.2 + 1 more...   5m
        """
    )
    assert get_table("endpointslices", docs, now=NOW) == expected


# --------------------------------------------------------------------------- workloads, nodes, namespaces


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: myapp}
spec:
  replicas: 3
  selector: {matchLabels: {app: myapp}, matchExpressions: [{key: tier, operator: In, values: [web, edge]}]}
  template:
    metadata: {labels: {app: myapp, tier: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.27"}
      - {name: sidecar, image: "busybox:1.36"}
status: {replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2}
"""


def test_get_deployments_and_wide_containers_images_selector():
    (deploy,) = load(DEPLOYMENT)
    expected = table(
        """
        NAME    READY   UP-TO-DATE   AVAILABLE   AGE
        myapp   2/3     3            2           5m
        """
    )
    wide = table(
        """
        NAME    READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS    IMAGES                    SELECTOR
        myapp   2/3     3            2           5m    web,sidecar   nginx:1.27,busybox:1.36   app=myapp,tier in (edge,web)
        """
    )
    assert get_table("deployments", [deploy], now=NOW) == expected
    assert get_table("deploy", [deploy], now=NOW, wide=True) == wide


def test_get_replicasets_desired_current_ready_and_wide():
    (rs,) = load(
        """
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: myapp-7c5ddbdf54}
        spec:
          replicas: 2
          selector: {matchLabels: {app: myapp, pod-template-hash: 7c5ddbdf54}}
          template:
            metadata: {labels: {app: myapp, pod-template-hash: 7c5ddbdf54}}
            spec: {containers: [{name: web, image: "nginx:1.27"}]}
        status: {replicas: 2, readyReplicas: 1}
        """
    )
    expected = table(
        """
        NAME               DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES       SELECTOR
        myapp-7c5ddbdf54   2         2         1       5m    web          nginx:1.27   app=myapp,pod-template-hash=7c5ddbdf54
        """
    )
    assert get_table("rs", [rs], now=NOW, wide=True) == expected


NODES = """
apiVersion: v1
kind: Node
metadata:
  name: kind-control-plane
  labels: {node-role.kubernetes.io/control-plane: ""}
spec:
  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
status:
  conditions: [{type: Ready, status: "True"}]
  addresses: [{type: InternalIP, address: 172.18.0.2}, {type: Hostname, address: kind-control-plane}]
  nodeInfo:
    kubeletVersion: v1.33.1
    osImage: Debian GNU/Linux 12 (bookworm)
    kernelVersion: 6.8.0-50-generic
    containerRuntimeVersion: containerd://2.1.1
---
apiVersion: v1
kind: Node
metadata: {name: kind-worker}
spec: {unschedulable: true}
status:
  conditions: [{type: Ready, status: "Unknown"}]
  addresses: [{type: InternalIP, address: 172.18.0.3}]
  nodeInfo: {kubeletVersion: v1.33.1}
"""


def test_get_nodes_status_roles_version_and_no_namespace_column_even_with_all_namespaces():
    nodes = load(NODES)
    expected = table(
        """
        NAME                 STATUS                        ROLES           AGE   VERSION
        kind-control-plane   Ready                         control-plane   5m    v1.33.1
        kind-worker          NotReady,SchedulingDisabled   <none>          5m    v1.33.1
        """
    )
    assert get_table("nodes", nodes, now=NOW, all_namespaces=True) == expected



def test_get_nodes_wide_adds_addresses_os_kernel_runtime_with_unknown_when_missing():
    wide = get_table("nodes", load(NODES), now=NOW, wide=True)
    assert wide == table(
        """
        NAME                 STATUS                        ROLES           AGE   VERSION   INTERNAL-IP   EXTERNAL-IP   OS-IMAGE                         KERNEL-VERSION     CONTAINER-RUNTIME
        kind-control-plane   Ready                         control-plane   5m    v1.33.1   172.18.0.2    <none>        Debian GNU/Linux 12 (bookworm)   6.8.0-50-generic   containerd://2.1.1
        kind-worker          NotReady,SchedulingDisabled   <none>          5m    v1.33.1   172.18.0.3    <none>        <unknown>                        <unknown>          <unknown>
        """
    )


def test_get_namespaces_shows_phase_and_age():
    docs = load(
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: default}
        status: {phase: Active}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop, creationTimestamp: "2026-01-01T00:04:50Z"}
        status: {phase: Terminating}
        """
    )
    expected = table(
        """
        NAME      STATUS        AGE
        default   Active        5m
        shop      Terminating   10s
        """
    )
    assert get_table("namespaces", docs, now=NOW) == expected


# --------------------------------------------------------------------------- age and tabwriter


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1.5, "0s"),
        (0, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (599, "9m59s"),
        (600, "10m"),
        (10_799, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 25 * 60 + 59, "3h25m"),
        (8 * 3600, "8h"),
        (47 * 3600 + 59 * 60, "47h"),
        (48 * 3600, "2d"),
        (5 * 86400 + 12 * 3600, "5d12h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (760 * 86400, "2y30d"),
        (8 * 365 * 86400 + 100 * 86400, "8y"),
    ],
)
def test_human_duration_matches_apimachinery(seconds, text):
    assert human_duration(seconds) == text


def test_age_uses_the_given_now_never_the_wall_clock():
    (ns,) = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\nstatus: {phase: Active}\n")
    later = NOW + timedelta(days=400)
    assert get_table("ns", [ns], now=later).splitlines()[1].split()[-1] == "400d"


def test_age_is_unknown_without_creation_timestamp():
    (ns,) = load("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
    ns = ns.replace(metadata=dataclasses.replace(ns.metadata, creation_timestamp=None))
    assert get_table("ns", [ns], now=NOW) == "NAME   STATUS   AGE\nx               <unknown>\n"


def test_tabwriter_pads_every_terminated_cell_and_restarts_columns_per_block():
    text = "a\tb\tc\naa\tbb\tcc\naaa\t\naaaa\tdddd\teeee\n"
    assert tabwrite(text, minwidth=6, padding=3) == (
        "a      b     c\n"
        "aa     bb    cc\n"
        "aaa    \n"
        "aaaa   dddd   eeee\n"
    )


# --------------------------------------------------------------------------- -o yaml


def test_get_yaml_of_one_object_sorts_keys_quotes_like_kubectl_and_fills_kind():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: web, labels: {app: web, canary: "true"}}
        spec:
          type: NodePort
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: 80, nodePort: 30008, protocol: TCP}]
        """
    )
    svc = allocated(svc, "10.96.0.10", session_affinity="None")
    svc = svc.replace(api_version="", kind="")
    assert get_yaml([svc]) == textwrap.dedent(
        """\
        apiVersion: v1
        kind: Service
        metadata:
          creationTimestamp: "2026-01-01T00:00:00Z"
          labels:
            app: web
            canary: "true"
          name: web
          namespace: default
        spec:
          clusterIP: 10.96.0.10
          clusterIPs:
          - 10.96.0.10
          ports:
          - name: http
            nodePort: 30008
            port: 80
            protocol: TCP
            targetPort: 80
          selector:
            app: web
          sessionAffinity: None
          type: NodePort
        status:
          loadBalancer: {}
        """
    )


def test_get_yaml_of_several_objects_is_a_list_with_empty_resource_version():
    docs = load(
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: a}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: b}
        """
    )
    assert get_yaml(docs) == textwrap.dedent(
        """\
        apiVersion: v1
        items:
        - apiVersion: v1
          kind: Namespace
          metadata:
            creationTimestamp: "2026-01-01T00:00:00Z"
            name: a
          spec: {}
          status: {}
        - apiVersion: v1
          kind: Namespace
          metadata:
            creationTimestamp: "2026-01-01T00:00:00Z"
            name: b
          spec: {}
          status: {}
        kind: List
        metadata:
          resourceVersion: ""
        """
    )
    assert get_yaml([], as_list=True).startswith("apiVersion: v1\nitems: []\nkind: List\n")


def test_r_k_6_host_port_is_visible_in_yaml_only():
    (pod,) = load(POD_WITH_HOSTPORT)
    text = get_yaml([pod])
    assert "    ports:\n    - containerPort: 80\n      hostPort: 8080\n      protocol: TCP\n" in text
    assert "8080" not in get_table("pods", [pod], now=NOW, wide=True)


def test_get_yaml_quotes_strings_go_yaml_would_read_as_other_types():
    (ns,) = load(
        """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: q
          labels: {a-int: "80", b-float: "1e3", c-bool: "yes", d-short-bool: "y", e-null: "null", f-plain: web}
        """
    )
    assert get_yaml([ns]).split("labels:\n")[1].split("  name:")[0] == (
        '    a-int: "80"\n'
        '    b-float: "1e3"\n'
        '    c-bool: "yes"\n'
        '    d-short-bool: "y"\n'
        '    e-null: "null"\n'
        "    f-plain: web\n"
    )


def test_public_names_are_sorted_and_defined():
    from grader.sim import describe, events, printers

    for module in (printers, describe, events):
        assert list(module.__all__) == sorted(module.__all__)
        assert all(hasattr(module, name) for name in module.__all__)
