"""The contract every lab implements, and the hints its params carry.

A lab is a steppable training experiment: it owns its data, its model and its
optimizer state, and it reports what a learner should see as plain data
(numbers, lists, NumPy arrays). It knows nothing of HTTP, JSON or asyncio.

Params are a frozen dataclass whose fields use ``typing.Annotated`` with
``annotated_types`` bounds (``Ge``, ``Le``, ``Len``, …) for validation and a
``Ui`` hint for the control that edits them. Bounds live there and only there:
validation, the JSON schema and the page's controls are all derived from them.
"""

from __future__ import annotations

import enum
import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, Generic, TypeVar

from engine.runlog import RunLog

Message = dict[str, Any]
BLOWUP = 1e8  # a parameter past this in size (or not finite) means the run diverged


class Effect(enum.Enum):
    """What applying new params did to a running lab."""

    LIVE = "live"  # takes effect from the next step on; training goes on
    RESET = "reset"  # the model restarted from its (seeded) initialisation
    DATA = "data"  # the data was regenerated and the model restarted


@dataclass(frozen=True)
class Ui:
    """How the page presents one param; validation ignores it.

    ``group`` names a fieldset of controls (its label is in the i18n catalogs),
    ``step`` is a slider's granularity, ``log`` asks for a log-scaled slider,
    ``advanced`` folds the control away until the learner asks for it.
    """

    group: str = "training"
    step: float | None = None
    log: bool = False
    advanced: bool = False


@dataclass(frozen=True)
class Cost:
    """Multiply-adds of one update and of one frame (its metrics and pictures).

    The app refuses params that cost more than its limits, so that no single
    piece of work can hold a worker thread for long.
    """

    update: float = 0.0
    frame: float = 0.0


def layer_macs(sizes: list[int]) -> int:
    """Multiply-adds of one sample through dense layers of these widths: Σ d_{l−1}·d_l."""
    return sum(a * b for a, b in itertools.pairwise(sizes))


class OpError(Exception):
    """A lab-specific op that cannot be carried out; becomes an ``error`` message."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


P = TypeVar("P")


class Lab(ABC, Generic[P]):
    """One training experiment, advanced one parameter update at a time.

    Subclasses set ``id``, ``Params`` and which params reset what, and
    implement the abstract methods. Extra ops (beyond configure, play, pause,
    step and reset) are declared in ``ops``: op name → (argument dataclass,
    handler). The app validates the arguments against the dataclass's bounds
    before the handler sees them.
    """

    id: ClassVar[str]
    title: ClassVar[str]
    order: ClassVar[int] = 99  # place in the index of labs
    Params: ClassVar[type[Any]]
    data_fields: ClassVar[frozenset[str]] = frozenset()  # regenerate data, then reset
    reset_fields: ClassVar[frozenset[str]] = frozenset()  # restart the model
    default_speed: ClassVar[float] = 1.0  # steps per frame while playing
    ops: ClassVar[dict[str, tuple[type[Any], Callable[[Any, Any], Message]]]] = {}
    logged_ops: ClassVar[frozenset[str]] = frozenset()  # ops that change what training does
    # the params that make an update, or a frame, costly (named when a cost is refused)
    update_cost_fields: ClassVar[tuple[str, ...]] = ()
    frame_cost_fields: ClassVar[tuple[str, ...]] = ()
    steps: int  # updates since the last reset

    def __init__(self, params: P) -> None:
        self.params = params
        self._outbox: list[Message] = []
        self.make_data()
        self.reset()
        self._start_log()

    @classmethod
    def cost(cls, params: P) -> Cost:
        """What one update and one frame cost with ``params``; small labs cost nothing."""
        return Cost()

    # -- lifecycle ---------------------------------------------------------

    def apply(self, params: P) -> Effect:
        """Switch to ``params``; regenerate or reset only when a field demands it."""
        changed = {
            f.name
            for f in fields(params)  # type: ignore[arg-type]
            if getattr(params, f.name) != getattr(self.params, f.name)
        }
        self.params = params
        if changed & self.data_fields:
            self.make_data()
            self.reset()
            self._start_log()
            return Effect.DATA
        if changed & self.reset_fields:
            self.reset()
            self._start_log()
            return Effect.RESET
        self.on_live_change(changed)
        self.log.change(self.steps, {name: getattr(params, name) for name in sorted(changed)})
        return Effect.LIVE

    def restart(self) -> None:
        """The ``reset`` op: the model starts over, and so does the record of the run."""
        self.reset()
        self._start_log()

    def call_op(self, name: str, args: Any) -> Message:
        """Carry out a lab op (args already validated); log it if it changes training."""
        _, handler = self.ops[name]
        reply = handler(self, args)
        if name in self.logged_ops:
            self.log.op(self.steps, name, asdict(args))
        return reply

    def carried_ops(self) -> list[tuple[str, dict[str, Any]]]:
        """Logged ops whose effect outlives a reset, as ops that rebuild it at step 0."""
        return []

    def _start_log(self) -> None:
        self.log = RunLog.start(asdict(self.params), self.carried_ops())  # type: ignore[call-overload]

    def rewound(self) -> None:
        """Hook after a rewind: the next frame must carry all it draws (no image skipped)."""

    def on_live_change(self, changed: set[str]) -> None:
        """Hook for params that need bookkeeping when changed live (e.g. optimizer)."""

    @abstractmethod
    def make_data(self) -> None:
        """(Re)generate the dataset from the data params and their seed."""

    @abstractmethod
    def reset(self) -> None:
        """Restart the model from its seeded initialisation, at step 0."""

    @abstractmethod
    def step(self, n: int) -> int:
        """Do up to ``n`` parameter updates; return how many were done.

        Fewer than ``n`` are done only when the run has diverged.
        """

    @abstractmethod
    def frame(self) -> Message:
        """The current state as a ``frame`` message (``type`` included)."""

    @abstractmethod
    def data_messages(self) -> list[Message]:
        """The ``data`` message, and any other per-dataset messages (``surface``)."""

    @property
    def diverged(self) -> bool:
        """True once the run has blown up; stepping then does nothing until reset."""
        return False

    # -- side messages -------------------------------------------------------

    def post(self, message: Message) -> None:
        """Queue a message the app should send before the next frame."""
        self._outbox.append(message)

    def take_messages(self) -> list[Message]:
        """Messages posted since the last call, in order."""
        out, self._outbox = self._outbox, []
        return out
