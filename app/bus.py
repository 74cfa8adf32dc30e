"""The rooms' bus: shared keys and publish/subscribe, in this process or through Redis.

Classroom rooms (app/rooms.py) need a few things that must work whichever
process or host a student lands on: a room's code and state kept where every
process can read it, and the presenter's messages fanned out to every process
with followers. Both backends give exactly that, behind one small interface:

- ``MemoryBus``, the default: dicts and callbacks in one process; nothing to run.
- ``RedisBus`` (``DESCENT_REDIS_URL=redis://…`` or ``unix://…``): Redis keys with
  a time to live, and Redis pub/sub through redis-py's asyncio client. One
  connection listens for every channel this process subscribed to.

A bus that cannot reach Redis raises ``BusDown``; rooms turn it into the
``rooms_unavailable`` error, and private sessions never touch the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("descent.bus")
POOL_SIZE = 64  # Redis connections per process: commands are short, a few suffice
POOL_WAIT_S = 5.0  # then a command waits this long for one before the bus counts as down
Listener = Callable[[bytes], None]


class BusDown(Exception):  # noqa: N818 (a state, as the message says, not a bug)
    """The shared store cannot be reached now."""


@dataclass
class Batch:
    """Writes that go together: through Redis, one round trip instead of one each.

    A room's publisher sends a frame, its latecomers' copy and maybe its meta 30
    times a second; awaited one by one, on a busy event loop, each await costs a
    turn of the loop and the followers wait that much longer.
    """

    publishes: list[tuple[str, bytes]] = field(default_factory=list)
    fields: list[tuple[str, dict[str, bytes], float]] = field(default_factory=list)
    sets: list[tuple[str, bytes, float]] = field(default_factory=list)


class Bus(ABC):
    """Keys with a time to live, counters, and channels; values are bytes."""

    shared = True  # other processes see the same keys

    def __init__(self) -> None:
        self.listeners: dict[str, list[Listener]] = {}

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl: float, only_new: bool = False) -> bool:
        """Store ``value``; with ``only_new``, only if ``key`` is free (True if stored)."""

    @abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    async def delete(self, *keys: str) -> None: ...

    @abstractmethod
    async def add(self, key: str, by: int, ttl: float) -> int:
        """Add ``by`` to a counter; its new value."""

    @abstractmethod
    async def put_fields(self, key: str, fields: dict[str, bytes], ttl: float) -> None: ...

    @abstractmethod
    async def fields(self, key: str) -> dict[str, bytes]: ...

    @abstractmethod
    async def publish(self, channel: str, data: bytes) -> None: ...

    async def run(self, batch: Batch) -> None:
        """Carry out ``batch``: publishes in order, then the fields, then the keys."""
        for channel, data in batch.publishes:
            await self.publish(channel, data)
        for key, values, ttl in batch.fields:
            await self.put_fields(key, values, ttl)
        for key, value, ttl in batch.sets:
            await self.set(key, value, ttl)

    async def subscribe(self, channel: str, listener: Listener) -> None:
        """Call ``listener`` with every message published on ``channel`` from now on."""
        first = channel not in self.listeners
        self.listeners.setdefault(channel, []).append(listener)
        if first:
            await self._subscribe(channel)

    async def unsubscribe(self, channel: str, listener: Listener) -> None:
        found = self.listeners.get(channel, [])
        if listener in found:
            found.remove(listener)
        if not found and self.listeners.pop(channel, None) is not None:
            await self._unsubscribe(channel)

    def deliver(self, channel: str, data: bytes) -> None:
        for listener in list(self.listeners.get(channel, ())):
            try:
                listener(data)
            except Exception:  # one broken listener must not silence the channel
                log.exception("a listener on %s failed", channel)

    @abstractmethod
    async def _subscribe(self, channel: str) -> None:
        """Start receiving ``channel``."""

    @abstractmethod
    async def _unsubscribe(self, channel: str) -> None:
        """Stop receiving ``channel``."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections and tasks."""


class MemoryBus(Bus):
    """One process: a dict of values (with expiry times) and direct delivery."""

    shared = False

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, tuple[Any, float]] = {}

    def _live(self, key: str) -> Any:
        value, until = self.values.get(key, (None, 0.0))
        if value is not None and until < asyncio.get_running_loop().time():
            del self.values[key]
            return None
        return value

    def _keep(self, key: str, value: Any, ttl: float) -> None:
        self.values[key] = (value, asyncio.get_running_loop().time() + ttl)

    async def set(self, key: str, value: bytes, ttl: float, only_new: bool = False) -> bool:
        if only_new and self._live(key) is not None:
            return False
        self._keep(key, value, ttl)
        return True

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        return value if isinstance(value, bytes) else None

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self.values.pop(key, None)

    async def add(self, key: str, by: int, ttl: float) -> int:
        count = int(self._live(key) or 0) + by
        self._keep(key, count, ttl)
        return count

    async def put_fields(self, key: str, fields: dict[str, bytes], ttl: float) -> None:
        stored = self._live(key)
        merged = {**(stored if isinstance(stored, dict) else {}), **fields}
        self._keep(key, merged, ttl)

    async def fields(self, key: str) -> dict[str, bytes]:
        stored = self._live(key)
        return dict(stored) if isinstance(stored, dict) else {}

    async def publish(self, channel: str, data: bytes) -> None:
        self.deliver(channel, data)

    # one process: delivery needs no connection
    async def _subscribe(self, channel: str) -> None:
        pass

    async def _unsubscribe(self, channel: str) -> None:
        pass

    async def close(self) -> None:
        pass


class RedisBus(Bus):
    """Redis through redis-py's asyncio client: commands on a pool, one pub/sub listener."""

    def __init__(self, url: str) -> None:
        super().__init__()
        from redis import asyncio as aioredis  # only a deployment with Redis needs it
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff
        from redis.exceptions import ConnectionError as RedisConnectionError

        # After Redis restarts, a pooled connection is stale: one retry on a fresh one
        # turns that into a success instead of a spurious rooms_unavailable. A blocking
        # pool: a burst of joins (a class scanning the QR code) waits for a connection
        # instead of failing with "Too many connections" past the pool's size.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=POOL_SIZE,
            timeout=POOL_WAIT_S,
            socket_timeout=2,
            socket_connect_timeout=2,
            health_check_interval=10,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
            retry_on_error=[RedisConnectionError],
        )
        self.redis = aioredis.Redis(connection_pool=pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.listener: asyncio.Task[None] | None = None

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        from redis.exceptions import RedisError

        # any Redis failure (out of memory, a read-only replica after a failover, …), not
        # only a lost connection: rooms report it; nothing else may escape to kill a task
        try:
            return await getattr(self.redis, method)(*args, **kwargs)
        except (RedisError, OSError) as exc:
            raise BusDown(str(exc)) from exc

    async def set(self, key: str, value: bytes, ttl: float, only_new: bool = False) -> bool:
        return bool(await self._call("set", key, value, px=int(ttl * 1000), nx=only_new))

    async def get(self, key: str) -> bytes | None:
        value = await self._call("get", key)
        return value if isinstance(value, bytes) else None

    async def delete(self, *keys: str) -> None:
        await self._call("delete", *keys)

    async def add(self, key: str, by: int, ttl: float) -> int:
        count = int(await self._call("incrby", key, by))
        await self._call("pexpire", key, int(ttl * 1000))
        return count

    async def put_fields(self, key: str, fields: dict[str, bytes], ttl: float) -> None:
        await self._call("hset", key, mapping=fields)
        await self._call("pexpire", key, int(ttl * 1000))

    async def fields(self, key: str) -> dict[str, bytes]:
        raw = await self._call("hgetall", key)
        return {k.decode(): v for k, v in raw.items()}

    async def publish(self, channel: str, data: bytes) -> None:
        await self._call("publish", channel, data)

    async def run(self, batch: Batch) -> None:
        from redis.exceptions import RedisError

        pipe = self.redis.pipeline(transaction=False)  # one round trip, no MULTI
        for channel, data in batch.publishes:
            pipe.publish(channel, data)
        for key, values, ttl in batch.fields:
            pipe.hset(key, mapping=values)  # type: ignore[arg-type]
            pipe.pexpire(key, int(ttl * 1000))
        for key, value, ttl in batch.sets:
            pipe.set(key, value, px=int(ttl * 1000))
        try:
            await pipe.execute()  # which also resets the pipeline, whatever happens
        except (RedisError, OSError) as exc:
            raise BusDown(str(exc)) from exc

    async def _subscribe(self, channel: str) -> None:
        try:
            await self.pubsub.subscribe(channel)
        except Exception as exc:
            self.listeners.pop(channel, None)
            raise BusDown(str(exc)) from exc
        if self.listener is None or self.listener.done():
            self.listener = asyncio.create_task(self._listen())

    async def _unsubscribe(self, channel: str) -> None:
        with contextlib.suppress(Exception):  # gone with the connection anyway
            await self.pubsub.unsubscribe(channel)

    async def _listen(self) -> None:
        """Hand each message to this process's listeners; outlive Redis going away."""
        while self.listeners:
            try:
                message = await self.pubsub.get_message(timeout=1.0)
            except Exception as exc:  # Redis went away: retry; pub/sub resubscribes itself
                log.warning("rooms: Redis pub/sub lost (%s); retrying", exc)
                await asyncio.sleep(1)
                continue
            if message and message.get("type") == "message":
                self.deliver(message["channel"].decode(), message["data"])

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
        with contextlib.suppress(Exception):
            await self.pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            await self.redis.aclose()


def make_bus(redis_url: str) -> Bus:
    """The bus for these settings: Redis if a URL is given, else this process's memory."""
    return RedisBus(redis_url) if redis_url else MemoryBus()
