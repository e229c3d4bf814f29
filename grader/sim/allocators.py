"""Cluster-wide allocators: nodePorts (R-NP-*), ClusterIPs and pod IPs. Deterministic per seed.

The nodePort and ClusterIP allocators reproduce Kubernetes' bitmap allocators with a static
subrange (ServiceNodePortStaticSubrange / ServiceIPStaticSubrange): random allocation scans
the upper band first, from a random start, and only falls back to the lower "static" band
when the upper one is full, so values people pick by hand (30000-30085, 10.96.0.0-10.96.0.255)
rarely collide with automatic ones. Every allocator draws from the cluster's own
``random.Random``; nothing touches the global one.

:class:`Transaction` groups the allocations of one API request so that a failure (or a later
validation error) gives back everything that request took, as the API server's
``metaTransaction`` does.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field
from typing import Callable

__all__ = [
    "AllocationError",
    "ClusterIPAllocator",
    "NodePortAllocator",
    "PodIPAllocator",
    "Transaction",
    "range_offset",
]

ERR_NOT_IN_RANGE_PORT = "provided port is not in the valid range. The range of valid ports is {low}-{high}"
ERR_PORT_ALLOCATED = "provided port is already allocated"
ERR_FULL = "range is full"
ERR_NOT_IN_RANGE_IP = "the provided IP ({ip}) is not in the valid range. The range of valid IPs is {cidr}"
ERR_IP_ALLOCATED = "provided IP is already allocated"


class AllocationError(Exception):
    """An allocator refused a value; ``str()`` is the allocator's own text."""


def range_offset(size: int, low: int, high: int, step: int) -> int:
    """Size of the static band: min(max(low, size/step), high), 0 for tiny ranges."""
    if size <= low:
        return 0
    return max(low, min(size // step, high))


class _Bitmap:
    """A set of offsets ``0..size-1`` with Kubernetes' random-scan-with-offset strategy."""

    def __init__(self, size: int, offset: int, rng: random.Random) -> None:
        self.size = size
        self.offset = offset
        self.rng = rng
        self.used: set[int] = set()

    def take(self, at: int) -> bool:
        if at in self.used:
            return False
        self.used.add(at)
        return True

    def take_next(self) -> int | None:
        if len(self.used) >= self.size:
            return None
        upper = self.size - self.offset
        for base, span in ((self.offset, upper), (0, self.offset)):
            if span <= 0:
                continue
            start = self.rng.randrange(span)
            for i in range(span):
                at = base + (start + i) % span
                if at not in self.used:
                    self.used.add(at)
                    return at
        return None

    def release(self, at: int) -> None:
        self.used.discard(at)


class NodePortAllocator:
    """The single, protocol-agnostic nodePort pool of the cluster (R-NP-1)."""

    def __init__(self, low: int, high: int, rng: random.Random) -> None:
        self.low, self.high = low, high
        size = high - low + 1
        self._bits = _Bitmap(size, range_offset(size, 16, 128, 32), rng)

    def allocate(self, port: int) -> None:
        """Take a specific port (R-NP-2, R-NP-3)."""
        if not self.low <= port <= self.high:
            raise AllocationError(ERR_NOT_IN_RANGE_PORT.format(low=self.low, high=self.high))
        if not self._bits.take(port - self.low):
            raise AllocationError(ERR_PORT_ALLOCATED)

    def allocate_next(self) -> int:
        """Take a random free port, upper band first (R-NP-4)."""
        at = self._bits.take_next()
        if at is None:
            raise AllocationError(ERR_FULL)
        return self.low + at

    def release(self, port: int) -> None:
        if self.low <= port <= self.high:
            self._bits.release(port - self.low)

    def is_allocated(self, port: int) -> bool:
        return self.low <= port <= self.high and (port - self.low) in self._bits.used

    @property
    def static_band(self) -> tuple[int, int]:
        """First and last port of the lower band that random allocation avoids."""
        return self.low, self.low + self._bits.offset - 1


class ClusterIPAllocator:
    """ClusterIPs from the service CIDR (network and broadcast addresses excluded)."""

    def __init__(self, cidr: str, rng: random.Random) -> None:
        self.network = ipaddress.ip_network(cidr)
        self._first = int(self.network.network_address) + 1
        size = self.network.num_addresses - 2
        self._bits = _Bitmap(size, range_offset(size, 16, 256, 16), rng)

    def allocate(self, ip: str) -> None:
        addr = ipaddress.ip_address(ip)
        at = int(addr) - self._first
        if addr not in self.network or not 0 <= at < self._bits.size:
            raise AllocationError(ERR_NOT_IN_RANGE_IP.format(ip=ip, cidr=self.network))
        if not self._bits.take(at):
            raise AllocationError(ERR_IP_ALLOCATED)

    def allocate_next(self) -> str:
        at = self._bits.take_next()
        if at is None:
            raise AllocationError(ERR_FULL)
        return str(ipaddress.ip_address(self._first + at))

    def release(self, ip: str) -> None:
        try:
            at = int(ipaddress.ip_address(ip)) - self._first
        except ValueError:
            return
        self._bits.release(at)


class PodIPAllocator:
    """Pod IPs of one node's pod CIDR, handed out in order from ``.2`` (``.1`` is the gateway).

    The free offsets are one bitmap (a Python int), so finding the next free address after
    the last one given is a couple of big-integer operations, not a scan: O(1) amortised for
    any CIDR size, even when the range is nearly full.
    """

    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr)
        self.gateway = str(self.network.network_address + 1)
        self._base = int(self.network.network_address)
        self._size = self.network.num_addresses
        self._next = 2
        self._used: set[int] = set()
        span = max(self._size - 3, 0)
        self._free = ((1 << span) - 1) << 2  # offsets 2 .. size-2
        self._v4 = self.network.version == 4

    def allocate_next(self) -> str:
        """The next free address after the last one given (host-local IPAM rotates)."""
        free = self._free
        if not free:
            raise AllocationError(f"no IP addresses available in range set: {self.network}")
        start = self._next if 2 <= self._next < self._size - 1 else 2
        above = free >> start
        if above:
            at = start + (above & -above).bit_length() - 1
        else:
            at = (free & -free).bit_length() - 1
        self._free = free & ~(1 << at)
        self._used.add(at)
        self._next = at + 1
        return self._text(self._base + at)

    def _text(self, value: int) -> str:
        if self._v4:
            return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"
        return str(ipaddress.ip_address(value))

    def release(self, ip: str) -> None:
        at = int(ipaddress.ip_address(ip)) - self._base
        if at in self._used:
            self._used.discard(at)
            self._free |= 1 << at


@dataclass
class Transaction:
    """Undo actions of one request, run in reverse by :meth:`rollback`."""

    _undo: list[Callable[[], None]] = field(default_factory=list)
    _on_commit: list[Callable[[], None]] = field(default_factory=list)

    def did(self, undo: Callable[[], None]) -> None:
        self._undo.append(undo)

    def defer(self, action: Callable[[], None]) -> None:
        """Run ``action`` only if the request succeeds (releases of old values)."""
        self._on_commit.append(action)

    def rollback(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self._on_commit.clear()

    def commit(self) -> None:
        for action in self._on_commit:
            action()
        self._undo.clear()
        self._on_commit.clear()
