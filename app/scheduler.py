"""Worker threads that run every session's training, fairly.

A thread pool serves jobs in the order they come: one learner at top speed on a
big network would queue a 20–80 ms job ahead of every other session's 2 ms frame.
Here each session is a ``Tenant`` charged the CPU time its jobs use, and a free
thread takes the waiting job whose tenant has used the least (the idea of
Linux's CFS). A tenant whose jobs are long is "heavy": at most ``heavy_threads``
heavy jobs run at once, so light sessions always find a thread.

Jobs are not pre-empted: the session keeps each one short (a slice of steps
within its frame budget, and costs bounded by the settings).
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")
# a session that comes back after a pause starts at most this far behind the others,
# so it does not take every thread until it has "caught up"
SLEEPER_CREDIT = 0.05


@dataclass(eq=False)
class Tenant:
    """One session's account: CPU seconds used, and how long its jobs take."""

    used: float = 0.0  # CPU seconds charged (virtual runtime)
    job_seconds: float = 0.0  # moving average of its jobs' CPU time


@dataclass(eq=False)
class _Job:
    tenant: Tenant
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    seq: int
    heavy: bool
    future: Future[Any] = field(default_factory=Future)


class Scheduler:
    """``threads`` workers; the least-served tenant's job runs first."""

    def __init__(self, threads: int, heavy_threads: int, heavy_seconds: float) -> None:
        self.heavy_threads, self.heavy_seconds = heavy_threads, heavy_seconds
        self._cond = threading.Condition()
        self._queue: list[_Job] = []
        self._heavy_running = 0
        self._floor = 0.0  # the `used` of the latest job started: where newcomers queue
        self._seq = itertools.count()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"train-{i}", daemon=True)
            for i in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def tenant(self) -> Tenant:
        with self._cond:
            return Tenant(used=self._floor)

    def submit(self, tenant: Tenant, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Queue ``fn(*args)`` for ``tenant``; cancelling the future before it starts drops it."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the scheduler is closed")
            tenant.used = max(tenant.used, self._floor - SLEEPER_CREDIT)
            heavy = tenant.job_seconds > self.heavy_seconds
            job = _Job(tenant, fn, args, next(self._seq), heavy)
            self._queue.append(job)
            self._cond.notify()
        return job.future

    async def run(self, tenant: Tenant, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self.submit(tenant, fn, *args))

    def close(self) -> None:
        """Drop the waiting jobs; running ones finish (each is one short slice)."""
        with self._cond:
            self._closed = True
            for job in self._queue:
                job.future.cancel()
            self._queue.clear()
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        return len(self._queue)

    # -- worker threads ----------------------------------------------------------

    def _work(self) -> None:
        while (job := self._next()) is not None:
            if not job.future.set_running_or_notify_cancel():
                self._done(job, 0.0)
                continue
            start = time.thread_time()
            try:
                job.future.set_result(job.fn(*job.args))
            except BaseException as exc:  # handed to the awaiting session, never lost
                job.future.set_exception(exc)
            self._done(job, time.thread_time() - start)

    def _next(self) -> _Job | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                job = self._pick()
                if job is not None:
                    self._queue.remove(job)
                    self._heavy_running += job.heavy
                    self._floor = max(self._floor, job.tenant.used)
                    return job
                self._cond.wait()

    def _pick(self) -> _Job | None:
        """The waiting job of the least-served tenant that may run now."""
        heavy_full = self._heavy_running >= self.heavy_threads
        best: _Job | None = None
        for job in self._queue:
            if job.heavy and heavy_full and not job.future.cancelled():
                continue
            if best is None or (job.tenant.used, job.seq) < (best.tenant.used, best.seq):
                best = job
        return best

    def _done(self, job: _Job, seconds: float) -> None:
        with self._cond:
            tenant = job.tenant
            tenant.used += seconds
            tenant.job_seconds = 0.7 * tenant.job_seconds + 0.3 * seconds
            self._heavy_running -= job.heavy
            # This thread picks its next job itself; another is woken only when a heavy
            # slot frees (waking all of them on every job is a herd fighting for the GIL).
            if job.heavy:
                self._cond.notify()
