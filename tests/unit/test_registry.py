"""The registry's watch (grader.sim.registry): who hears about which writes, in which order."""

from __future__ import annotations

from grader.model.objects import Namespace, ObjectMeta, Pod, Service
from grader.sim.cluster import Cluster


def test_a_watch_limited_to_kinds_hears_only_those_kinds_in_subscription_order():
    cluster = Cluster(seed=0)
    heard: list[tuple[str, str]] = []
    cluster.registry.watch(lambda kind, old, new: heard.append(("all", kind.__name__)))
    cluster.registry.watch(lambda kind, old, new: heard.append(("pods", kind.__name__)), (Pod,))
    cluster.registry.watch(lambda kind, old, new: heard.append(("services", kind.__name__)), (Service,))
    cluster.registry.put(Namespace(metadata=ObjectMeta(name="extra")))
    cluster.registry.put(Pod(metadata=ObjectMeta(name="web", namespace="default")))
    assert heard == [("all", "Namespace"), ("all", "Pod"), ("pods", "Pod")]
    cluster.registry.remove(Pod, "default", "web")
    assert heard[-2:] == [("all", "Pod"), ("pods", "Pod")]


def test_a_late_subscriber_is_heard_after_the_earlier_ones():
    cluster = Cluster(seed=0)
    heard: list[str] = []
    cluster.registry.put(Pod(metadata=ObjectMeta(name="a", namespace="default")))  # the dispatch table exists
    cluster.registry.watch(lambda kind, old, new: heard.append("late"), (Pod,))
    cluster.registry.put(Pod(metadata=ObjectMeta(name="b", namespace="default")))
    assert heard == ["late"]
