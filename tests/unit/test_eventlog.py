"""Event aggregation (grader.sim.controllers.eventlog): repeats count up, anything different is new."""

from __future__ import annotations

from grader.model.objects import ObjectMeta, Pod
from grader.sim.cluster import Cluster
from grader.sim.controllers import eventlog


def _pod(name: str, uid: str) -> Pod:
    return Pod(metadata=ObjectMeta(name=name, namespace="default", uid=uid))


def test_an_exact_repeat_counts_up_and_any_difference_is_a_new_event():
    cluster = Cluster(seed=0)
    before = len(cluster.events)
    web, other = _pod("web", "u1"), _pod("web", "u2")
    eventlog.record(cluster, "Normal", "Pulled", "already present", "kubelet", web, field_path="spec.containers{a}")
    eventlog.record(cluster, "Normal", "Pulled", "already present", "kubelet", web, field_path="spec.containers{a}")
    eventlog.record(cluster, "Normal", "Pulled", "already present", "kubelet", web, field_path="spec.containers{b}")
    eventlog.record(cluster, "Normal", "Pulled", "already present", "kubelet", other, field_path="spec.containers{a}")
    added = cluster.events[before:]
    assert [(e.involved_name, e.count) for e in added] == [("web", 2), ("web", 1), ("web", 1)]
    assert eventlog.events_about(cluster, web) == added[:2]


def test_messages_with_a_nul_character_are_told_apart_like_any_other():
    cluster = Cluster(seed=0)
    before = len(cluster.events)
    web = _pod("web", "u1")
    for message in ("a\0b", "a\0b", "a", "a\0b\0c"):
        eventlog.record(cluster, "Warning", "Failed", message, "kubelet", web)
    assert [(e.message, e.count) for e in cluster.events[before:]] == [("a\0b", 2), ("a", 1), ("a\0b\0c", 1)]


def test_record_many_is_one_record_per_entry():
    one, many = Cluster(seed=0), Cluster(seed=0)
    web = _pod("web", "u1")
    entries = [("Normal", "Pulled", "p", "spec.containers{a}"), ("Normal", "Created", "c", "spec.containers{a}"),
               ("Normal", "Pulled", "p", "spec.containers{a}")]
    for type_, reason, message, path in entries:
        eventlog.record(one, type_, reason, message, "kubelet", web, field_path=path)
    eventlog.record_many(many, "kubelet", web, entries)
    assert one.events == many.events
