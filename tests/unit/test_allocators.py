"""nodePort, ClusterIP and pod IP allocation (R-NP-1..4): exact texts, bands, determinism."""

from __future__ import annotations

import random

import pytest

from grader.sim.allocators import (
    AllocationError,
    ClusterIPAllocator,
    NodePortAllocator,
    PodIPAllocator,
    Transaction,
    range_offset,
)


def _ports(seed=0):
    return NodePortAllocator(30000, 32767, random.Random(seed))


def test_r_np_4_static_band_of_the_default_range_is_30000_to_30085():
    assert range_offset(2768, 16, 128, 32) == 86
    assert _ports().static_band == (30000, 30085)


def test_r_np_4_random_allocation_uses_the_upper_band_first():
    pool = _ports()
    drawn = [pool.allocate_next() for _ in range(2768 - 86)]
    assert min(drawn) == 30086 and max(drawn) == 32767 and len(set(drawn)) == len(drawn)
    assert 30000 <= pool.allocate_next() <= 30085


def test_r_np_4_a_full_range_says_range_is_full():
    pool = NodePortAllocator(30000, 30003, random.Random(0))
    for _ in range(4):
        pool.allocate_next()
    with pytest.raises(AllocationError, match="^range is full$"):
        pool.allocate_next()


def test_r_np_2_out_of_range_text():
    with pytest.raises(AllocationError) as info:
        _ports().allocate(80)
    assert str(info.value) == "provided port is not in the valid range. The range of valid ports is 30000-32767"


def test_r_np_3_already_allocated_text_and_release():
    pool = _ports()
    pool.allocate(30008)
    with pytest.raises(AllocationError, match="^provided port is already allocated$"):
        pool.allocate(30008)
    pool.release(30008)
    pool.allocate(30008)


def test_allocation_is_deterministic_per_seed():
    assert [_ports(7).allocate_next() for _ in range(1)] == [_ports(7).allocate_next()]
    first, second = _ports(1), _ports(1)
    assert [first.allocate_next() for _ in range(5)] == [second.allocate_next() for _ in range(5)]


def test_cluster_ips_come_from_the_upper_band_and_texts_match_the_apiserver():
    pool = ClusterIPAllocator("10.96.0.0/16", random.Random(0))
    ip = pool.allocate_next()
    assert ip.startswith("10.96.") and not ip.startswith("10.96.0.")
    pool.allocate("10.96.0.10")
    with pytest.raises(AllocationError, match="^provided IP is already allocated$"):
        pool.allocate("10.96.0.10")
    with pytest.raises(AllocationError) as info:
        pool.allocate("10.0.0.5")
    assert str(info.value) == (
        "the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.96.0.0/16"
    )


def test_pod_ips_start_at_dot_two_and_skip_used_ones():
    pool = PodIPAllocator("10.244.1.0/24")
    assert pool.gateway == "10.244.1.1"
    assert [pool.allocate_next() for _ in range(2)] == ["10.244.1.2", "10.244.1.3"]
    pool.release("10.244.1.2")
    assert pool.allocate_next() == "10.244.1.4"


def test_transaction_rollback_undoes_in_reverse_and_commit_runs_deferred_releases():
    pool = _ports()
    txn = Transaction()
    pool.allocate(30001)
    txn.did(lambda: pool.release(30001))
    txn.defer(lambda: pool.release(30002))
    txn.rollback()
    assert not pool.is_allocated(30001)
    pool.allocate(30002)
    txn.defer(lambda: pool.release(30002))
    txn.commit()
    assert not pool.is_allocated(30002)
