"""Realising a :class:`~grader.backends.netns_plan.Plan`, idempotently, inside the netns agent.

:class:`Runner` remembers the plan it last realised and, given a new one, changes only the
difference, in an order that always works:

1. delete namespaces that are gone (a namespace takes its interfaces, addresses, routes and
   rules with it; a veth whose other end lived there disappears too);
2. delete links, addresses, neighbours and routes that are gone from namespaces that stay;
3. create the new namespaces and set their sysctls (before any interface exists, so
   ``conf.default`` values apply to every interface);
4. create the new links (in their creating namespace, the peer moved into its own);
5. per namespace, one ``ip -batch``: interfaces up, addresses, neighbours, routes;
6. load each node's ``iptables-restore`` document when it is new or changed, and flush that
   node's conntrack table after a change (stale NAT must not outlive the rules);
7. hand the listeners to the server (it binds new sockets and closes old ones).

Realising the same plan twice does nothing the second time. A failure tears everything down
(the next realisation starts from nothing) and is reported with the failing command's message.
:meth:`Runner.teardown` deletes every namespace the agent created and verifies none is left.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Sequence, TypeVar

from grader.backends.netns_kernel import Kernel, KernelError
from grader.backends.netns_plan import Address, Link, ListenerSpec, Neighbour, NodeRules, Plan, Route, check_names

__all__ = ["EMPTY_PLAN", "Runner"]

EMPTY_PLAN = Plan((), (), (), (), (), (), ())
WORKERS = 8
EMPTY_NAT = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n"
SETTLE_SECONDS = 5.0
T = TypeVar("T")

ListenerSink = Callable[[Sequence[ListenerSpec]], None]


class _Clock:
    """Seconds spent in each phase of one realisation."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[f"{name}_seconds"] = now - self._last
        self._last = now


def _devices(plan: Plan) -> set[tuple[str, str]]:
    found = {(ns.name, "lo") for ns in plan.namespaces}
    for link in plan.links:
        found.update(link.devices)
    return found


class Runner:
    """Turns plans into kernel state, one difference at a time."""

    def __init__(self, kernel: Kernel, listeners: ListenerSink) -> None:
        self.kernel = kernel
        self.listeners = listeners
        self.current = EMPTY_PLAN
        self.flushed: list[str] = []

    def realise(self, plan: Plan) -> dict[str, float | int]:
        """Make the kernel match ``plan``; returns counts and the time it took."""
        check_names(plan.names())
        start = time.perf_counter()
        try:
            stats = self._apply(self.current, plan)
        except BaseException:
            self.teardown()
            raise
        self.current = plan
        stats["seconds"] = time.perf_counter() - start
        return stats

    def teardown(self) -> list[str]:
        """Close every listener, delete every namespace; returns the names still present (none)."""
        self.listeners(())
        self.kernel.delete_namespaces(self.kernel.namespaces())
        self.current = EMPTY_PLAN
        return self.kernel.namespaces()

    # ----------------------------------------------------------------- the difference

    def _apply(self, old: Plan, new: Plan) -> dict[str, float | int]:
        clock = _Clock()
        old_ns = {ns.name for ns in old.namespaces}
        new_ns = {ns.name for ns in new.namespaces}
        gone = sorted(old_ns - new_ns)
        self._unplug(old, new, new_ns & old_ns)
        self.kernel.delete_namespaces(gone)
        self._remove_stale(old, new, new_ns & old_ns)
        clock.lap("delete")
        added = [ns for ns in new.namespaces if ns.name not in old_ns]
        self.kernel.add_namespaces([ns.name for ns in added])
        for ns in added:
            self.kernel.write_sysctls(ns.name, ns.sysctls)
        clock.lap("namespaces")
        old_links = set(old.links)
        new_links = [link for link in new.links if link not in old_links]
        self._batches((link.namespace, link.create()) for link in new_links)
        self._configure(old, new, added, new_links)
        clock.lap("links")
        self._settle(new_links)
        clock.lap("settle")
        reloaded = self._rules(old, new, old_ns)
        clock.lap("rules")
        self.listeners(new.listeners)
        clock.lap("listeners")
        return {"namespaces_added": len(added), "namespaces_deleted": len(gone),
                "links_added": len(new_links), "rules_loaded": reloaded, **clock.laps}

    def _unplug(self, old: Plan, new: Plan, kept: set[str]) -> None:
        """Delete, from the surviving end, each old veth that joins a namespace that stays to one
        that goes. Deleting a namespace destroys its devices asynchronously (the kernel's netns
        cleanup work), so the peer in the surviving namespace can outlive ``netns del`` for a
        moment, and a new veth with the same name or index there fails with "File exists".
        Deleting one end of a veth removes both, synchronously."""
        fresh_links = set(new.links)
        lines: list[tuple[str, str]] = []
        for link in old.links:
            if link in fresh_links or link.kind != "veth":
                continue
            ends = link.devices
            if any(ns in kept for ns, _ in ends) and not all(ns in kept for ns, _ in ends):
                namespace, device = next((ns, name) for ns, name in ends if ns in kept)
                lines.append((namespace, f"link del {device}"))
        self._batches(lines)

    def _remove_stale(self, old: Plan, new: Plan, kept: set[str]) -> None:
        """Explicit deletions for things gone from namespaces that stay (routes first)."""
        new_devices = _devices(new)
        old_devices = _devices(old)
        surviving = new_devices & old_devices
        lines: list[tuple[str, str]] = []
        for kind in ("routes", "neighbours", "addresses"):
            fresh = set(getattr(new, kind))
            item: Route | Neighbour | Address
            for item in getattr(old, kind):
                if item not in fresh and item.namespace in kept and (item.namespace, item.device) in surviving:
                    lines.append((item.namespace, item.delete()))
        fresh_links = set(new.links)
        for link in old.links:
            if link not in fresh_links and all(ns in kept for ns, _ in link.devices):
                lines.append((link.namespace, link.delete()))
        self._batches(lines)

    def _configure(self, old: Plan, new: Plan, added: list, new_links: list[Link]) -> None:
        lines: list[tuple[str, str]] = [(ns.name, "link set lo up") for ns in added]
        for link in new_links:
            lines.extend(link.bring_up())
        for kind in ("addresses", "neighbours", "routes"):
            known = set(getattr(old, kind))
            lines.extend((item.namespace, item.add()) for item in getattr(new, kind) if item not in known)
        self._batches(lines)

    def _settle(self, links: Sequence[Link]) -> None:
        """Wait until every new interface is UP and every new bridge port forwards.

        A veth end opened before its peer has no carrier yet; the kernel turns it on (and only
        then lets it transmit, and lets a bridge forward to it) from its link-watch work queue,
        which may wait up to a second when the two ends happen to share an ifindex. Probing
        before that would see timeouts that are not the data plane's.
        """
        wanted: dict[str, set[str]] = {}
        for link in links:
            if link.kind != "veth":
                continue
            for ns, dev in link.devices:
                wanted.setdefault(ns, set()).add(dev)
            if link.master:
                wanted.setdefault(link.namespace, set()).add(f"port:{link.name}")
        deadline = time.monotonic() + SETTLE_SECONDS
        while wanted:
            states = {}

            def look(ns: str) -> None:
                states[ns] = self.kernel.link_states(ns)

            _parallel(look, sorted(wanted))
            for ns in list(wanted):
                wanted[ns] = {dev for dev in wanted[ns] if states[ns].get(dev) not in ("UP", "forwarding")}
                if not wanted[ns]:
                    del wanted[ns]
            if wanted and time.monotonic() > deadline:
                late = ", ".join(f"{ns}:{dev}" for ns in sorted(wanted) for dev in sorted(wanted[ns]))
                raise KernelError(f"interfaces did not come up within {SETTLE_SECONDS} s: {late}")
            if wanted:
                time.sleep(0.01)

    def _rules(self, old: Plan, new: Plan, existed: set[str]) -> int:
        previous = {r.namespace: r.document for r in old.rules + old.pod_rules}
        current = {r.namespace for r in new.rules + new.pod_rules}
        changed = [rules for rules in new.rules + new.pod_rules if previous.get(rules.namespace) != rules.document]
        kept = {ns.name for ns in new.namespaces} & existed
        changed += [NodeRules(ns, "", EMPTY_NAT) for ns in sorted(previous) if ns not in current and ns in kept]

        def load(rules: NodeRules) -> None:
            self.kernel.iptables_restore(rules.namespace, rules.document)
            if rules.namespace in previous and rules.namespace in existed:
                if self.kernel.conntrack_flush(rules.namespace):
                    self.flushed.append(rules.namespace)

        _parallel(load, changed)
        return len(changed)

    def _batches(self, lines: Iterable[tuple[str, str]]) -> None:
        """One ``ip -n NS -batch`` per namespace, namespaces in first-seen order."""
        grouped: dict[str, list[str]] = {}
        for ns, line in lines:
            grouped.setdefault(ns, []).append(line)
        _parallel(lambda item: self.kernel.ip_batch(*item), list(grouped.items()))


def _parallel(work: Callable[[T], None], items: Sequence[T]) -> None:
    """Run ``work`` on every item, a few at a time (namespaces are independent); re-raise the first error."""
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(items))) as pool:
        for future in [pool.submit(work, item) for item in items]:
            future.result()
