"""A class member summarises their run only while the teacher's class view is open."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest

from app.bus import MemoryBus
from app.member import Member, class_channel, control_channel
from app.summaries import Summary


class Lab:
    """What a circles summary reads of a lab: nothing (the picture comes from the frame)."""


def frame(step: int) -> dict[str, Any]:
    z = np.full((30, 30), 200, dtype=np.uint8)
    return {"step": step, "loss": {"train": 1.0 / step}, "boundary": {"z": z}}


def test_an_inactive_summary_only_remembers_and_starts_from_the_newest_frame() -> None:
    summary = Summary("circles")
    summary.note(Lab(), frame(1))
    summary.note(Lab(), frame(2))
    assert summary.take() == ({}, None)  # nothing summarised while nobody watches
    summary.start()
    latest, pic = summary.take()
    assert latest["step"] == 2 and latest["loss"] == 0.5 and pic is not None and "z" in pic
    summary.note(Lab(), frame(3))
    assert summary.take()[0]["step"] == 3
    summary.stop()
    summary.note(Lab(), frame(4))
    assert summary.take()[0]["step"] == 3  # stopped: frame 4 is only remembered


async def a_class(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A forked member while the view is closed, opened, then closed; what they publish."""
    monkeypatch.setattr("app.member.PERIOD", 0.02)
    monkeypatch.setattr("app.member.HEARTBEAT", 0.1)
    bus, heard = MemoryBus(), []
    await bus.subscribe(class_channel("ROOM"), lambda data: heard.append(json.loads(data)))
    summary, commands = Summary("circles"), []

    def on_command(command: dict[str, Any]) -> None:  # what the student's session does
        commands.append(command["do"])
        if command["do"] == "watch":
            summary.start() if command["open"] else summary.stop()

    member = Member(bus, "ROOM", "m1", {"en": "Ada", "zh": "Ada"}, on_command)
    await member.fork(summary, lambda: (True, {"lr": 0.1}))
    for step in range(1, 6):
        summary.note(Lab(), frame(step))
        await asyncio.sleep(0.05)
    heard.append({"mark": "open"})
    for _ in range(3):  # the view opens; its heartbeats say so again, which changes nothing
        await bus.publish(control_channel("ROOM"), b'{"do": "watch", "open": true}')
    await asyncio.sleep(0.05)
    for step in range(6, 9):
        summary.note(Lab(), frame(step))
        await asyncio.sleep(0.05)
    heard.append({"mark": "closed"})
    await bus.publish(control_channel("ROOM"), b'{"do": "watch", "open": false}')
    summary.note(Lab(), frame(9))
    await asyncio.sleep(0.3)
    await member.leave()
    assert commands == ["watch", "watch"]
    return heard


def test_a_member_sends_summaries_only_while_the_view_is_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    heard = asyncio.run(a_class(monkeypatch))
    opened = heard.index({"mark": "open"})
    closed = heard.index({"mark": "closed"})
    before, during, after = heard[1:opened], heard[opened + 1 : closed], heard[closed + 1 : -1]
    assert heard[0]["kind"] == "sum" and heard[0]["fresh"] is True  # the fork itself
    assert "step" not in heard[0]  # no frame summarised yet
    assert before and all(m["kind"] == "hello" for m in before)  # heartbeats only
    steps = [m["step"] for m in during if m["kind"] == "sum"]
    assert steps[0] == 5 and steps[-1] == 8 and steps == sorted(steps)  # from the newest on
    assert after and all(m["kind"] == "hello" for m in after)
    assert heard[-1]["kind"] == "gone"
