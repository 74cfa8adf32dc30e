"""Snapshots of a lab for rewind (engine/rewind.py): pickles that share their big arrays.

A checkpoint is the lab pickled without its run record (kept apart, replaced on
restore) and without its caches (rebuilt empty); every array of at least ``SHARED``
bytes is kept once, by content, in ``Blobs``: the data, the same in every
checkpoint, costs its memory once.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.classifier import Boundary
from engine.nn import Scratch
from engine.runlog import Event, RunLog

SHARED = 1024  # arrays of at least this many bytes are kept once, by content
CACHES = (Scratch, Boundary)  # rebuilt empty on restore: a cache, not the run's state


class Blobs:
    """Arrays kept by content: equal arrays (the data, in every checkpoint) are kept once."""

    def __init__(self) -> None:
        self.arrays: dict[bytes, np.ndarray] = {}
        self.refs: Counter[bytes] = Counter()
        self.nbytes = 0
        # the arrays of the last checkpoint, by id: the same array, still equal to what
        # was kept, needs no hash again (the data: megabytes in digits)
        self.recent: dict[int, tuple[np.ndarray, bytes]] = {}
        self.fresh: dict[int, tuple[np.ndarray, bytes]] = {}

    def put(self, array: np.ndarray) -> bytes:
        a = np.ascontiguousarray(array)
        seen = self.recent.get(id(array))
        if seen is not None and seen[0] is array and _same_bits(self.arrays.get(seen[1]), a):
            key = seen[1]
        else:
            digest = hashlib.blake2b(a.data, digest_size=16)
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            key = digest.digest()
        if key not in self.arrays:
            self.arrays[key] = a.copy()
            self.nbytes += a.nbytes
        self.refs[key] += 1
        self.fresh[id(array)] = (array, key)
        return key

    def get(self, key: bytes) -> np.ndarray:
        return self.arrays[key].copy()  # the lab may write to it; the checkpoint must not change

    def release(self, keys: list[bytes]) -> None:
        for key in keys:
            self.refs[key] -= 1
            if self.refs[key] <= 0:
                del self.refs[key]
                self.nbytes -= self.arrays.pop(key).nbytes


@dataclass
class Checkpoint:
    """The lab at ``step``, pickled without its record and with its big arrays in Blobs."""

    step: int
    state: bytes
    keys: list[bytes]
    events: int  # how many events the record had when it was taken
    last: Event | None  # the newest of them then: a change at this step may merge into it
    loss: float | None  # the training loss of the frame shown at this step, if any
    diverged: bool


class Saver(pickle.Pickler):
    def __init__(self, file: io.BytesIO, blobs: Blobs, log: RunLog) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.blobs, self.log, self.keys = blobs, log, list[bytes]()

    def persistent_id(self, obj: Any) -> Any:
        if obj is self.log:
            return "log"
        if isinstance(obj, CACHES):
            return type(obj).__name__
        if type(obj) is np.ndarray and obj.nbytes >= SHARED and obj.dtype != object:
            key = self.blobs.put(obj)
            self.keys.append(key)
            return key
        return None


class Loader(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, blobs: Blobs) -> None:
        super().__init__(file)
        self.blobs, self.loaded = blobs, dict[bytes, np.ndarray]()

    def persistent_load(self, pid: Any) -> Any:
        if pid == "log":
            return RunLog.start({}, [])  # a scratch record for the replay; replaced after
        if pid == "Scratch":
            return Scratch()
        if pid == "Boundary":
            return Boundary()
        if pid not in self.loaded:  # one array seen twice stays one array
            self.loaded[pid] = self.blobs.get(pid)
        return self.loaded[pid]


def _same_bits(kept: np.ndarray | None, a: np.ndarray) -> bool:
    """Bit for bit the same (NaN included), compared eight bytes at a time when it can."""
    if kept is None or kept.shape != a.shape or kept.dtype != a.dtype:
        return False
    word = np.uint64 if a.nbytes % 8 == 0 else np.uint8
    return bool(np.array_equal(kept.reshape(-1).view(word), a.reshape(-1).view(word)))
