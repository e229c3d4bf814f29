"""The descriptions :mod:`grader.nb.authoring` turns into ``solutions/<id>/<id>.ipynb``.

Prose and reference solutions live here; what each task checks and is worth lives in
``grader/tasks/<id>.yaml``. After editing either, run ``python -m grader.nb.authoring`` and
then ``kports release`` to regenerate ``exercises/``.
"""

from __future__ import annotations

from grader.nb.authoring import Section, Spec

__all__ = ["SAMPLE", "SPECS"]

_INTRO = """
# 00 · Sample assignment: a nodePort and a targetPort

Two small tasks about the ports of a Service. In each one you are given some workloads and you
write **one manifest**: type it below the `%%manifest NAME` line of the answer cell and run the
cell. The simulated cluster applies it at once and shows you what `kubectl apply` would say —
including the API server's exact complaint if something is invalid.

Then run the *try it* cell to see what really happens to a request, hop by hop, and finally the
check cells under each task. A check cell prints nothing alarming when your manifest does what
the task asks; otherwise it tells you what it tried, what it saw, and why.

The cluster is a simulated three-node kind cluster: `kind-control-plane` (172.18.0.2, runs no
workloads), `kind-worker` (172.18.0.3) and `kind-worker2` (172.18.0.4). "Outside" is the
machine that hosts the nodes, 172.18.0.1.

Self-paced? `lab.check("00-sample")` in a new cell shows every task's verdict at any time,
without grading anything.
"""

_TASK_1 = """
The Deployment `myapp` is already written for you: two nginx pods labelled `app: myapp` and
`type: front-end`, each listening on port 80.

People outside the cluster must reach the app on **port 30008 of any node**, for example
`http://172.18.0.3:30008`. Write a Service named `myapp` that does this.

Three numbers are involved: the `nodePort` (opened on every node), the Service `port` (on the
Service's cluster IP, for clients inside the cluster) and the `targetPort` (where the pods
listen). A nodePort has to lie between 30000 and 32767.
"""

_SOLUTION_1 = """
apiVersion: v1
kind: Service
metadata:
  name: myapp
spec:
  type: NodePort
  selector:
    app: myapp
    type: front-end
  ports:
  - port: 80
    targetPort: 80
    nodePort: 30008
"""

_TRY_1 = """
# Try it: a fresh cluster with the provided Deployment, your Service, then a request from outside.
lab.reset("00-sample/myapp_reachable_on_every_node_port_30008")
display(lab.apply("web"))
lab.curl("outside", "172.18.0.3:30008")
"""

_TASK_2 = """
The Deployment `mysql` runs a MySQL server, which listens on port 3306; a pod named `client`
is there to try things from inside the cluster.

The other applications of the cluster are configured to find the database at
**`mysql-service:33306`**. Write the Service `mysql-service` that makes that address reach the
database. Nothing outside the cluster needs it.

Careful: the port clients use and the port the server listens on are not the same number here.
"""

_SOLUTION_2 = """
apiVersion: v1
kind: Service
metadata:
  name: mysql-service
spec:
  selector:
    app: mysql
  ports:
  - port: 33306
    targetPort: 3306
"""

_TRY_2 = """
# Try it: the database and a client pod, your Service, then a request from the client.
# (MySQL does not speak HTTP: curl reaching it fails with "Received HTTP/0.9 when not allowed",
# which still means the connection got through.)
lab.reset("00-sample/mysql_service_port_33306_reaches_the_database")
display(lab.apply("mysql"))
lab.curl("pod/client", "mysql-service:33306")
"""

_CREDITS = """
### Sources

The examples are ported from two documents, retold in this course's own words:

* "Node Port", personal study notes on NodePort Services (a kubectl session on a laptop running
  minikube): the `myapp` Service on nodePort 30008 with the `app: myapp, type: front-end`
  selector, and the three ports of a NodePort Service.
* "K8s 端口映射" ("K8s port mapping"), an article reposted from jianshu.com/p/8275f2031c83:
  `mysql-service`, reached inside the cluster on port 33306 while MySQL listens on 3306.
"""

SAMPLE = Spec(
    assignment="00-sample",
    intro=_INTRO,
    sections=(
        Section(
            title="Expose myapp on nodePort 30008",
            text=_TASK_1,
            answer="web",
            solution=_SOLUTION_1,
            try_it=_TRY_1,
            tasks=("myapp_reachable_on_every_node_port_30008", "service_port_80_not_open_on_the_nodes"),
        ),
        Section(
            title="Make mysql-service reach the database",
            text=_TASK_2,
            answer="mysql",
            solution=_SOLUTION_2,
            try_it=_TRY_2,
            tasks=("mysql_service_port_33306_reaches_the_database", "mysql_service_answers_only_on_port_33306"),
        ),
    ),
    outro=_CREDITS,
)

SPECS: tuple[Spec, ...] = (SAMPLE,)
"""Every assignment the authoring script writes, in order."""
