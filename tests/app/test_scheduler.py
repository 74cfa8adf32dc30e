"""The fair scheduler: the least-served session first, heavy jobs capped, cancels dropped."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from app.scheduler import Scheduler


@pytest.fixture
def one_thread() -> Iterator[Scheduler]:
    scheduler = Scheduler(threads=1, heavy_threads=1, heavy_seconds=0.01)
    yield scheduler
    scheduler.close()


def spin(seconds: float) -> None:
    """Busy CPU time (the scheduler charges CPU, not sleep)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_the_least_served_tenant_goes_first(one_thread: Scheduler) -> None:
    greedy, modest = one_thread.tenant(), one_thread.tenant()
    gate = threading.Event()
    one_thread.submit(greedy, gate.wait)  # holds the only thread
    for _ in range(3):
        one_thread.submit(greedy, spin, 0.02)
    order: list[str] = []
    blocker = one_thread.submit(greedy, order.append, "greedy")
    light = one_thread.submit(modest, order.append, "modest")
    gate.set()
    blocker.result(timeout=5), light.result(timeout=5)
    # the greedy tenant used 60 ms of CPU before the last two jobs ran: the other goes first
    assert order == ["modest", "greedy"]


def test_heavy_jobs_never_take_every_thread() -> None:
    scheduler = Scheduler(threads=2, heavy_threads=1, heavy_seconds=0.005)
    try:
        heavy = [scheduler.tenant() for _ in range(3)]
        for tenant in heavy:  # teach the scheduler these tenants' jobs are long
            scheduler.submit(tenant, spin, 0.03).result(timeout=5)
        running, peak = 0, 0
        done: list[str] = []
        lock = threading.Lock()

        def heavy_job() -> None:
            nonlocal running, peak
            with lock:
                running += 1
                peak = max(peak, running)
            spin(0.1)
            with lock:
                running -= 1
                done.append("heavy")

        jobs = [scheduler.submit(t, heavy_job) for t in heavy for _ in range(2)]
        scheduler.submit(scheduler.tenant(), done.append, "light").result(timeout=5)
        for job in jobs:
            job.result(timeout=5)
        assert peak == 1  # one heavy job at a time: the other thread stays free
        assert done[0] == "light"  # it did not wait behind six heavy jobs
    finally:
        scheduler.close()


def test_a_job_cancelled_before_it_starts_never_runs(one_thread: Scheduler) -> None:
    tenant = one_thread.tenant()
    gate = threading.Event()
    ran: list[int] = []
    one_thread.submit(tenant, gate.wait)
    dropped = one_thread.submit(tenant, ran.append, 1)
    assert dropped.cancel()
    last = one_thread.submit(tenant, ran.append, 2)
    gate.set()
    last.result(timeout=5)
    assert ran == [2]


def test_an_exception_reaches_the_caller(one_thread: Scheduler) -> None:
    future = one_thread.submit(one_thread.tenant(), lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        future.result(timeout=5)
    assert one_thread.submit(one_thread.tenant(), lambda: 7).result(timeout=5) == 7
