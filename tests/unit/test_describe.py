"""Golden layouts of ``kubectl describe service|pod`` and their Events tables — rule R-K-5."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import datetime, timezone

from grader.model.kinds import decode_document
from grader.model.yamlload import load_documents
from grader.sim.describe import describe_pod, describe_service, rfc1123z
from grader.sim.events import NORMAL, WARNING, Event

CREATED = "2026-01-01T00:00:00Z"
NOW = datetime(2026, 1, 1, 0, 5, tzinfo=timezone.utc)


def load(text: str):
    """Decode every document of ``text`` (dedented); namespaced objects land in ``default``."""
    out = []
    for doc in load_documents(textwrap.dedent(text)):
        obj = decode_document(doc)
        meta = dataclasses.replace(
            obj.metadata,
            namespace=obj.metadata.namespace or "default",
            creation_timestamp=obj.metadata.creation_timestamp or CREATED,
        )
        out.append(obj.replace(metadata=meta))
    return out


def served(svc, cluster_ip: str, **spec):
    """A Service as the API server stores it: allocated clusterIP, defaulted policies."""
    defaults = dict(
        cluster_ip=cluster_ip,
        cluster_ips=(cluster_ip,),
        ip_families=("IPv4",),
        ip_family_policy="SingleStack",
        session_affinity="None",
        internal_traffic_policy="Cluster",
    )
    return svc.replace(spec=dataclasses.replace(svc.spec, **{**defaults, **spec}))


def golden(text: str) -> str:
    """A layout written in the test; ``$`` marks the end of a line that ends in spaces."""
    return textwrap.dedent(text).lstrip("\n").replace("$\n", "\n")


SHOP = """
apiVersion: v1
kind: Service
metadata: {name: shop, labels: {app: shop}}
spec:
  type: NodePort
  selector: {app: shop}
  ports: [{name: http, port: 80, targetPort: http, nodePort: 30080, protocol: TCP}]
"""

SHOP_SLICES = """
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: shop-abc12, labels: {kubernetes.io/service-name: shop}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints: [{addresses: [10.244.1.5], conditions: {ready: true}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: shop-def34, labels: {kubernetes.io/service-name: shop}}
addressType: IPv4
ports: [{name: http, port: 9090, protocol: TCP}]
endpoints: [{addresses: [10.244.2.7], conditions: {ready: true}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: other-zzz99, labels: {kubernetes.io/service-name: other}}
addressType: IPv4
ports: [{name: http, port: 7070, protocol: TCP}]
endpoints: [{addresses: [10.244.2.9], conditions: {ready: true}}]
"""


def test_r_k_5_describe_nodeport_service_with_named_target_port_and_slices():
    (svc,) = load(SHOP)
    svc = served(svc, "10.96.0.50", external_traffic_policy="Cluster")
    expected = golden(
        """
        Name:                     shop
        Namespace:                default
        Labels:                   app=shop
        Annotations:              <none>
        Selector:                 app=shop
        Type:                     NodePort
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.0.50
        IPs:                      10.96.0.50
        Port:                     http  80/TCP
        TargetPort:               http/TCP
        NodePort:                 http  30080/TCP
        Endpoints:                10.244.1.5:8080,10.244.2.7:9090
        Session Affinity:         None
        External Traffic Policy:  Cluster
        Internal Traffic Policy:  Cluster
        Events:                   <none>
        """
    )
    assert describe_service(svc, None, [], now=NOW, endpoint_slices=load(SHOP_SLICES)) == expected


def test_r_k_5_cluster_ip_service_has_no_node_port_and_no_external_traffic_policy_lines():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: mysql}
        spec:
          type: ClusterIP
          selector: {app: mysql}
          ports: [{port: 33306, targetPort: 3306, protocol: TCP}]
        """
    )
    (ep,) = load(
        """
        apiVersion: v1
        kind: Endpoints
        metadata: {name: mysql}
        subsets: [{addresses: [{ip: 10.244.1.23}], ports: [{port: 3306, protocol: TCP}]}]
        """
    )
    expected = golden(
        """
        Name:                     mysql
        Namespace:                default
        Labels:                   <none>
        Annotations:              <none>
        Selector:                 app=mysql
        Type:                     ClusterIP
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.0.60
        IPs:                      10.96.0.60
        Port:                     <unset>  33306/TCP
        TargetPort:               3306/TCP
        Endpoints:                10.244.1.23:3306
        Session Affinity:         None
        Internal Traffic Policy:  Cluster
        Events:                   <none>
        """
    )
    assert describe_service(served(svc, "10.96.0.60"), ep, [], now=NOW) == expected


def test_r_k_5_load_balancer_local_shows_health_check_node_port_and_pending_ingress():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: lbl}
        spec:
          type: LoadBalancer
          externalTrafficPolicy: Local
          healthCheckNodePort: 31999
          selector: {app: echo}
          ports: [{port: 80, targetPort: 8080, nodePort: 31080, protocol: TCP}]
        """
    )
    expected = golden(
        """
        Name:                     lbl
        Namespace:                default
        Labels:                   <none>
        Annotations:              <none>
        Selector:                 app=echo
        Type:                     LoadBalancer
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.0.70
        IPs:                      10.96.0.70
        Port:                     <unset>  80/TCP
        TargetPort:               8080/TCP
        NodePort:                 <unset>  31080/TCP
        Endpoints:                <none>
        Session Affinity:         None
        External Traffic Policy:  Local
        Internal Traffic Policy:  Cluster
        HealthCheck NodePort:     31999
        Events:                   <none>
        """
    )
    assert describe_service(served(svc, "10.96.0.70"), None, [], now=NOW, endpoint_slices=[]) == expected


def test_r_k_5_external_ips_ingress_and_multi_port_alignment():
    (svc,) = load(
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: web
          annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}", team: blue}
        spec:
          type: LoadBalancer
          selector: {app: web, tier: front}
          externalIPs: [198.51.100.7]
          ports:
          - {name: http, port: 80, targetPort: 8080, nodePort: 30080, protocol: TCP}
          - {name: metrics-endpoint, port: 9100, targetPort: metrics, nodePort: 30910, protocol: TCP}
        status:
          loadBalancer: {ingress: [{ip: 172.18.255.200, ipMode: VIP}]}
        """
    )
    (eps,) = load(
        """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata: {name: web-1, labels: {kubernetes.io/service-name: web}}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - {addresses: [10.244.1.2], conditions: {ready: true}}
        - {addresses: [10.244.1.3], conditions: {ready: false}}
        - {addresses: [10.244.2.2]}
        - {addresses: [10.244.2.3], conditions: {ready: true}}
        - {addresses: [10.244.2.4], conditions: {ready: true}}
        """
    )
    expected = golden(
        """
        Name:                     web
        Namespace:                default
        Labels:                   <none>
        Annotations:              team: blue
        Selector:                 app=web,tier=front
        Type:                     LoadBalancer
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.0.80
        IPs:                      10.96.0.80
        External IPs:             198.51.100.7
        LoadBalancer Ingress:     172.18.255.200 (VIP)
        Port:                     http  80/TCP
        TargetPort:               8080/TCP
        NodePort:                 http  30080/TCP
        Endpoints:                10.244.1.2:8080,10.244.2.2:8080,10.244.2.3:8080 + 1 more...
        Port:                     metrics-endpoint  9100/TCP
        TargetPort:               metrics/TCP
        NodePort:                 metrics-endpoint  30910/TCP
        Endpoints:                $
        Session Affinity:         None
        External Traffic Policy:  Cluster
        Internal Traffic Policy:  Cluster
        Events:                   <none>
        """
    )
    svc = served(svc, "10.96.0.80", external_traffic_policy="Cluster")
    assert describe_service(svc, None, [], now=NOW, endpoint_slices=[eps]) == expected


def test_describe_service_events_show_age_and_repeat_count_oldest_first():
    (svc,) = load(SHOP)
    events = [
        Event(WARNING, "FailedToUpdateEndpointSlices", "Error updating Endpoint Slices for Service default/shop: conflict",
              "endpoint-slice-controller", "Service", "shop", "default",
              "2026-01-01T00:02:00Z", "2026-01-01T00:04:50Z", count=3),
        Event(NORMAL, "Type", "NodePort -> LoadBalancer", "service-controller", "Service", "shop", "default",
              "2026-01-01T00:01:00Z", "2026-01-01T00:01:00Z"),
        Event(NORMAL, "Scheduled", "not about this service", "default-scheduler", "Pod", "shop", "default",
              "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
    ]  # fmt: skip
    text = describe_service(served(svc, "10.96.0.50"), None, events, now=NOW, endpoint_slices=[])
    assert text.split("Internal Traffic Policy:  Cluster\n")[1] == golden(
        """
        Events:
          Type     Reason                        Age               From                       Message
          ----     ------                        ----              ----                       -------
          Normal   Type                          4m                service-controller         NodePort -> LoadBalancer
          Warning  FailedToUpdateEndpointSlices  10s (x3 over 3m)  endpoint-slice-controller  Error updating Endpoint Slices for Service default/shop: conflict
        """
    )


# --------------------------------------------------------------------------- pods


RUNNING_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: myapp-7c5ddbdf54-x2x9z
  labels: {app: myapp, pod-template-hash: 7c5ddbdf54}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: myapp-7c5ddbdf54, uid: u1, controller: true}]
spec:
  nodeName: kind-worker
  priority: 0
  serviceAccountName: default
  containers:
  - name: web
    image: "nginx:1.27"
    ports: [{name: http, containerPort: 80, protocol: TCP}]
    env: [{name: MODE, value: prod}]
  tolerations:
  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
status:
  phase: Running
  hostIP: 172.18.0.3
  podIP: 10.244.1.2
  podIPs: [{ip: 10.244.1.2}]
  startTime: "2026-01-01T00:00:01Z"
  qosClass: BestEffort
  conditions:
  - {type: PodReadyToStartContainers, status: "True"}
  - {type: Initialized, status: "True"}
  - {type: Ready, status: "True"}
  - {type: ContainersReady, status: "True"}
  - {type: PodScheduled, status: "True"}
  containerStatuses:
  - name: web
    containerID: containerd://0123abcd
    image: docker.io/library/nginx:1.27
    imageID: docker.io/library/nginx@sha256:feed
    ready: true
    restartCount: 0
    started: true
    state: {running: {startedAt: "2026-01-01T00:00:03Z"}}
"""


def test_describe_running_pod_matches_kubectl_layout():
    (pod,) = load(RUNNING_POD)
    events = [
        Event(NORMAL, "Scheduled", "Successfully assigned default/myapp-7c5ddbdf54-x2x9z to kind-worker",
              "default-scheduler", "Pod", "myapp-7c5ddbdf54-x2x9z", "default", CREATED, CREATED),
        Event(NORMAL, "Pulled", 'Container image "nginx:1.27" already present on machine',
              "kubelet", "Pod", "myapp-7c5ddbdf54-x2x9z", "default", "2026-01-01T00:00:02Z", "2026-01-01T00:00:02Z"),
    ]  # fmt: skip
    expected = golden(
        """
        Name:             myapp-7c5ddbdf54-x2x9z
        Namespace:        default
        Priority:         0
        Service Account:  default
        Node:             kind-worker/172.18.0.3
        Start Time:       Thu, 01 Jan 2026 00:00:01 +0000
        Labels:           app=myapp
                          pod-template-hash=7c5ddbdf54
        Annotations:      <none>
        Status:           Running
        IP:               10.244.1.2
        IPs:
          IP:           10.244.1.2
        Controlled By:  ReplicaSet/myapp-7c5ddbdf54
        Containers:
          web:
            Container ID:   containerd://0123abcd
            Image:          nginx:1.27
            Image ID:       docker.io/library/nginx@sha256:feed
            Port:           80/TCP (http)
            Host Port:      0/TCP (http)
            State:          Running
              Started:      Thu, 01 Jan 2026 00:00:03 +0000
            Ready:          True
            Restart Count:  0
            Environment:
              MODE:  prod
            Mounts:  <none>
        Conditions:
          Type                        Status
          PodReadyToStartContainers   True $
          Initialized                 True $
          Ready                       True $
          ContainersReady             True $
          PodScheduled                True $
        Volumes:                      <none>
        QoS Class:                    BestEffort
        Node-Selectors:               <none>
        Tolerations:                  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s
                                      node.kubernetes.io/unreachable:NoExecute op=Exists for 300s
        Events:
          Type    Reason     Age    From               Message
          ----    ------     ----   ----               -------
          Normal  Scheduled  5m     default-scheduler  Successfully assigned default/myapp-7c5ddbdf54-x2x9z to kind-worker
          Normal  Pulled     4m58s  kubelet            Container image "nginx:1.27" already present on machine
        """
    )
    assert describe_pod(pod, events, now=NOW) == expected


def test_describe_pending_pod_shows_none_node_host_port_and_failed_scheduling():
    (pod,) = load(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: hp-2}
        spec:
          containers:
          - name: web
            image: "nginx:1.27"
            ports: [{containerPort: 80, hostPort: 8080, protocol: TCP}, {containerPort: 443, protocol: TCP}]
        status:
          phase: Pending
          conditions: [{type: PodScheduled, status: "False", reason: Unschedulable}]
        """
    )
    message = (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
        "2 node(s) didn't have free ports for the requested pod ports."
    )
    events = [Event(WARNING, "FailedScheduling", message, "default-scheduler", "Pod", "hp-2", "default",
                    "2026-01-01T00:00:10Z", "2026-01-01T00:04:40Z", count=5)]  # fmt: skip
    expected = golden(
        """
        Name:         hp-2
        Namespace:    default
        Node:         <none>
        Labels:       <none>
        Annotations:  <none>
        Status:       Pending
        IP:           $
        IPs:          <none>
        Containers:
          web:
            Image:        nginx:1.27
            Ports:        80/TCP, 443/TCP
            Host Ports:   8080/TCP, 0/TCP
            Environment:  <none>
            Mounts:       <none>
        Conditions:
          Type           Status
          PodScheduled   False $
        Volumes:         <none>
        QoS Class:       BestEffort
        Node-Selectors:  <none>
        Tolerations:     <none>
        Events:
          Type     Reason            Age                  From               Message
          ----     ------            ----                 ----               -------
          Warning  FailedScheduling  20s (x5 over 4m50s)  default-scheduler  """
        + message
        + "\n"
    )
    assert describe_pod(pod, events, now=NOW) == expected


def test_describe_crashing_container_shows_waiting_reason_and_last_state():
    (pod,) = load(
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: crash}
        spec:
          nodeName: kind-worker2
          containers:
          - name: app
            image: "busybox:1.36"
            command: [sh, -c]
            args: ["nc -l -p 80"]
        status:
          phase: Running
          hostIP: 172.18.0.4
          containerStatuses:
          - name: app
            ready: false
            restartCount: 3
            state: {waiting: {reason: CrashLoopBackOff}}
            lastState:
              terminated:
                exitCode: 1
                reason: Error
                startedAt: "2026-01-01T00:03:00Z"
                finishedAt: "2026-01-01T00:03:01Z"
        """
    )
    text = describe_pod(pod, [], now=NOW)
    assert text[text.index("Containers:") : text.index("Volumes:")] == golden(
        """
        Containers:
          app:
            Container ID:  $
            Image:         busybox:1.36
            Image ID:      $
            Port:          <none>
            Host Port:     <none>
            Command:
              sh
              -c
            Args:
              nc -l -p 80
            State:          Waiting
              Reason:       CrashLoopBackOff
            Last State:     Terminated
              Reason:       Error
              Exit Code:    1
              Started:      Thu, 01 Jan 2026 00:03:00 +0000
              Finished:     Thu, 01 Jan 2026 00:03:01 +0000
            Ready:          False
            Restart Count:  3
            Environment:    <none>
            Mounts:         <none>
        """
    )
    assert "IPs:          <none>\n" in text
    assert text.endswith("Tolerations:        <none>\nEvents:             <none>\n")


def test_rfc1123z_is_gos_layout_in_utc():
    assert rfc1123z("2026-03-09T17:04:05+01:00") == "Mon, 09 Mar 2026 16:04:05 +0000"
    assert rfc1123z(None) == "Mon, 01 Jan 0001 00:00:00 +0000"
