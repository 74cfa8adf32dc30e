"""The class after the fork: students' tiles, the teacher's actions, spotlight, names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from app import names
from app.main import create_app
from app.settings import Settings
from tests.app.conftest import recv_until
from tests.app.test_classroom import open_beans, present, step, until_frame

Socket = WebSocketTestSession


def join(client: TestClient, stack: ExitStack, code: str, name: str = "") -> Socket:
    """A student who follows room ``code`` and forks; returns their socket at the fork."""
    ws = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}&name={name}"))
    hello = ws.receive_json()
    assert hello["member"]["room"] == code and hello["member"]["state"] == "watching"
    until_frame(ws)
    ws.send_json({"op": "fork", "id": "f"})
    recv_until(ws, "frame")
    joined = recv_until(ws, "class_event")
    assert joined["event"] == "joined" and joined["class"]["state"] == "forked"
    return ws


def class_until(
    ws: Socket, ok: Callable[[dict[str, Any]], bool], tiles: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The teacher's tiles (merged over ``class`` messages, from ``tiles`` as known so far:
    a tile's name comes only with its first message) once ``ok`` holds of them."""
    tiles = {} if tiles is None else tiles
    for _ in range(400):
        msg = recv_until(ws, "class")
        for gone in msg["gone"]:
            tiles.pop(gone, None)
        for tile in msg["tiles"]:
            tiles[tile["id"]] = {**tiles.get(tile["id"], {}), **tile}
        if ok(tiles):
            return tiles
    raise AssertionError(f"the class never got there: {tiles}")


def by_name(tiles: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {t["name"]["en"]: t for t in tiles.values()}


@pytest.fixture
def lesson(client: TestClient) -> Iterator[tuple[TestClient, Socket, str, ExitStack]]:
    with ExitStack() as stack:
        teacher = stack.enter_context(client.websocket_connect("/ws/beans?lr=0.05"))
        open_beans(teacher)
        code = present(teacher)
        yield client, teacher, code, stack


def test_forked_students_appear_with_their_runs_and_changes(lesson: Any) -> None:
    client, teacher, code, stack = lesson
    ada = join(client, stack, code, "Ada")
    bo = join(client, stack, code, "Bo")
    teacher.send_json({"op": "class", "do": "view", "open": True, "id": "v"})
    full = recv_until(teacher, "class")
    assert full["id"] == "v" and full["full"] is True and full["room"] == code
    ada.send_json({"op": "configure", "params": {"lr": 0.3}})
    step(ada, 4)
    step(bo, 2)
    tiles = class_until(teacher, lambda t: {
        n: (x.get("step"), (x.get("params") or {}).get("lr")) for n, x in by_name(t).items()
    } == {"Ada": (4, 0.3), "Bo": (2, 0.05)})  # fmt: skip
    ada_tile = by_name(tiles)["Ada"]
    assert ada_tile["state"] == "forked" and ada_tile["running"] is False
    assert ada_tile["loss"] > 0 and ada_tile["pic"]["w"] is not None
    assert len(ada_tile["pic"]["points"]) == 40  # the data under the line
    assert ada_tile["changed"] is not None  # her params changed after the fork
    # Bo leaves the class: his tile goes, Ada's stays
    bo.send_json({"op": "class", "do": "leave", "id": "l"})
    assert recv_until(bo, "class_event")["event"] == "left"
    class_until(teacher, lambda t: set(by_name(t)) == {"Ada"}, tiles)


def test_pause_play_and_push_reach_every_student(lesson: Any) -> None:
    client, teacher, code, stack = lesson
    students = [join(client, stack, code, n) for n in ("Ada", "Bo")]
    for s in students:
        s.send_json({"op": "play"})
        assert recv_until(s, "state")["running"] is True
    teacher.send_json({"op": "class", "do": "pause"})
    for s in students:
        assert recv_until(s, "class_event")["event"] == "paused"
        assert recv_until(s, "state")["running"] is False
    teacher.send_json({"op": "class", "do": "push", "preset": "notes_batch"})
    for s in students:
        pushed = recv_until(s, "class_event")
        assert (pushed["event"], pushed["preset"]) == ("pushed", "notes_batch")
        config = recv_until(s, "config")
        assert config["params"]["method"] == "batch" and config["params"]["intercept"] == 0.5
    teacher.send_json({"op": "configure", "params": {"lr": 0.02}})
    teacher.send_json({"op": "class", "do": "push"})  # the teacher's own params
    for s in students:
        assert recv_until(s, "config")["params"]["lr"] == 0.02
    teacher.send_json({"op": "class", "do": "play"})
    for s in students:
        assert recv_until(s, "class_event")["event"] == "resumed"
        assert recv_until(s, "state")["running"] is True


def test_only_the_presenting_page_acts_on_its_class(lesson: Any) -> None:
    client, teacher, code, stack = lesson
    student = join(client, stack, code, "Ada")
    for action in ({"do": "pause"}, {"do": "push"}, {"do": "view", "open": True}):
        student.send_json({"op": "class", "id": 3, **action})
        error = recv_until(student, "error")
        assert (error["code"], error["id"]) == ("not_presenting", 3)
    watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
    until_frame(watcher)
    watcher.send_json({"op": "class", "do": "pause", "id": 4})
    assert recv_until(watcher, "error")["code"] == "read_only"
    for bad, field in (({"do": "dance"}, "do"), ({"do": "push", "preset": "nope"}, "preset"),
                       ({"do": "anonymise", "on": "yes"}, "on"),
                       ({"do": "spotlight", "student": 7}, "student")):  # fmt: skip
        teacher.send_json({"op": "class", **bad})
        error = recv_until(teacher, "error")
        assert error["code"] == "invalid_params" and error["errors"][0]["field"] == field
    teacher.send_json({"op": "class", "do": "spotlight", "student": "nobody-at-all"})
    assert recv_until(teacher, "error")["code"] == "no_such_student"
    assert step(teacher, 1)["step"] == 1  # the teacher's session goes on


def test_a_spotlight_shows_a_students_run_to_the_followers(lesson: Any) -> None:
    client, teacher, code, stack = lesson
    ada = join(client, stack, code, "Ada")
    ada.send_json({"op": "configure", "params": {"lr": 0.4}})
    at = step(ada, 6)
    watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
    until_frame(watcher)
    teacher.send_json({"op": "class", "do": "view", "open": True})
    tiles = class_until(teacher, lambda t: by_name(t).get("Ada", {}).get("step") == 6)
    ada_id = by_name(tiles)["Ada"]["id"]
    teacher.send_json({"op": "class", "do": "spotlight", "student": ada_id, "id": "s"})
    spot = recv_until(watcher, "spotlight")
    assert spot["on"] is True and spot["name"]["en"] == "Ada"
    assert recv_until(ada, "class_event") == {"type": "class_event", "event": "spotlight",
                                              "name": spot["name"], "you": True}  # fmt: skip
    seen = recv_until(watcher, "frame")
    assert seen["step"] == 6 and seen["params"] == at["params"]  # her run, not the teacher's
    later = step(ada, 3)
    assert recv_until(watcher, "frame")["params"] == later["params"]
    # anonymised: the followers' screens lose the name
    teacher.send_json({"op": "class", "do": "anonymise", "on": True})
    assert recv_until(watcher, "spotlight")["name"] is None
    # a latecomer sees the spotlight too
    late = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}"))
    caught = until_frame(late)
    assert caught[1]["type"] == "spotlight" and caught[-1]["step"] == 9
    # back to the teacher: the followers start over from the teacher's state
    teacher.send_json({"op": "class", "do": "spotlight", "student": None})
    assert recv_until(watcher, "spotlight")["on"] is False
    assert recv_until(watcher, "frame")["step"] == 0
    assert recv_until(ada, "class_event")["event"] == "unspotlight"
    assert step(teacher, 2)["step"] == 2
    assert recv_until(watcher, "frame")["step"] == 2


def test_a_class_holds_max_followers_students_forked_or_not() -> None:
    settings = Settings(allowed_hosts="testserver", max_followers=1, presenter_grace_s=0)
    with TestClient(create_app(settings)) as client, ExitStack() as stack:
        teacher = stack.enter_context(client.websocket_connect("/ws/beans"))
        open_beans(teacher)
        code = present(teacher)
        join(client, stack, code, "Ada")  # forked: she still holds her seat
        with client.websocket_connect(f"/ws/beans?follow={code}") as second:
            assert second.receive_json()["code"] == "room_full"


def test_a_student_back_after_a_blip_is_in_the_class_again(lesson: Any) -> None:
    client, teacher, code, _stack = lesson
    with client.websocket_connect(f"/ws/beans?follow={code}") as first:
        member = first.receive_json()["member"]
        until_frame(first)
        first.send_json({"op": "fork"})
        recv_until(first, "class_event")
    teacher.send_json({"op": "class", "do": "view", "open": True})
    nick = member["name"]["nick"]
    query = f"class={code.lower()}&member={member['member']}&nick={nick}"
    with client.websocket_connect(f"/ws/beans?{query}") as again:
        joined = recv_until(again, "class_event")
        assert joined["class"]["member"] == member["member"]
        assert joined["class"]["name"] == member["name"]  # the same friendly name
        tiles = class_until(teacher, lambda t: member["member"] in t)
        assert tiles[member["member"]]["state"] == "forked"
    with client.websocket_connect("/ws/beans?class=QQQQQ&member=abcdefghij") as stray:
        assert recv_until(stray, "class_event") == {
            "type": "class_event", "event": "closed", "reason": "no_such_room"}  # fmt: skip


def test_when_the_teacher_leaves_the_class_ends(client: TestClient) -> None:
    students = ExitStack()
    with client.websocket_connect("/ws/beans") as teacher:
        open_beans(teacher)
        code = present(teacher)
        student = join(client, students, code)
    closed = recv_until(student, "class_event")
    assert (closed["event"], closed["reason"]) == ("closed", "room_closed")
    assert step(student, 1)["step"] == 1  # their own run goes on
    students.close()


def test_names_are_cleaned_and_generated_in_both_languages() -> None:
    assert names.clean("  Ada\u202e\x00  Lovelace " + "x" * 40) == "Ada Lovelace " + "x" * 11
    assert names.clean(["not", "a", "name"]) == ""
    made = names.display("")
    assert made["en"] and made["zh"] and made["en"] != made["zh"]
    assert names.friendly(made["nick"]) == made  # the same name again after a reconnect
    assert names.display("<b>Bo</b>") == {"en": "<b>Bo</b>", "zh": "<b>Bo</b>"}  # pages escape


def test_join_by_code_in_any_case_and_with_spaces(lesson: Any) -> None:
    client, _teacher, code, _stack = lesson
    typed = f" {code[:2].lower()} {code[2:]} "
    to_code = client.get("/join", params={"code": typed, "name": "Ada"}, follow_redirects=False)
    assert to_code.status_code == 303
    assert to_code.headers["location"] == f"/join/{code}?name=Ada"
    to_lab = client.get(f"/join/{code.lower()}?lang=zh", follow_redirects=False)
    assert to_lab.headers["location"] == f"/labs/beans?follow={code}&lang=zh"
    missing = client.get("/join/QQQQQ?lang=en")  # followed to the index page, which says so
    assert missing.status_code == 200 and "No class QQQQQ is open" in missing.text
    evil = client.get("/?join_missing=<script>x</script>")
    assert "<script>x" not in evil.text and "&lt;script&gt;x" in evil.text
    assert 'action="/join"' in client.get("/?lang=zh").text


def test_the_reachable_address_is_told_to_the_local_machine_only(client: TestClient) -> None:
    # TestClient's requests come from "testclient", not loopback: another machine on the
    # network learns nothing (the real server's answers are tested in test_classroom_redis)
    assert client.get("/api/reach").json() == {"origin": None, "reason": "not_local"}


def test_every_class_string_is_in_both_catalogs() -> None:
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "app"
    used: set[str] = set()
    sources = [*(root / "static/js/lib").glob("*.js"), *(root / "templates").rglob("*.html")]
    for path in sources:
        used |= set(re.findall(r"\b((?:class|join)\.[a-z_]+)\b", path.read_text()))
    used -= {
        "class.state_",
        "class.ev_",
        "class.col_",
        "class.sort_",
        "class.filter_",
        "class.pic_",
    }
    for lang in ("en", "zh"):
        catalog = json.loads((root / f"static/i18n/{lang}/site.json").read_text())
        assert not used - set(catalog), f"missing in {lang}: {sorted(used - set(catalog))}"
        for part in ("state_running", "ev_paused", "col_acc", "sort_changed", "filter_stuck",
                     "pic_beans", "pic_circles", "pic_neuron", "pic_digits"):  # fmt: skip
            assert f"class.{part}" in catalog


@pytest.mark.parametrize(
    ("lab", "picture"),
    [("circles", "z"), ("digits", "confusion"), ("neuron", None), ("beans", "points")],
)
def test_each_lab_sends_its_own_small_picture(
    client: TestClient, lab: str, picture: str | None
) -> None:
    with ExitStack() as stack:
        teacher = stack.enter_context(client.websocket_connect(f"/ws/{lab}"))
        recv_until(teacher, "frame")
        code = present(teacher)
        student = stack.enter_context(client.websocket_connect(f"/ws/{lab}?follow={code}"))
        until_frame(student)
        student.send_json({"op": "fork"})
        recv_until(student, "class_event")
        student.send_json({"op": "step", "steps": 3, "id": "s"})
        recv_until(student, "frame")
        teacher.send_json({"op": "class", "do": "view", "open": True})
        tiles = class_until(teacher, lambda t: any(x.get("step") == 3 for x in t.values()))
        teacher.send_json({"op": "class", "do": "view", "open": True, "id": "again"})
        full = recv_until(teacher, "class")
        assert full["id"] == "again" and full["full"] is True
        (tile,) = full["tiles"]
        assert tile["id"] in tiles and tile["step"] == 3
        if picture is None:  # neuron: the tile draws its two runs' costs
            assert set(tile["series"]) == {"loss", "quadratic", "cross_entropy"}
        else:
            assert picture in tile["pic"]
        if lab == "digits":
            assert len(tile["pic"]["confusion"]) == 10 and tile["acc"] is not None


def test_watchers_are_counted_while_they_stay(lesson: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.member.HEARTBEAT", 0.2)
    monkeypatch.setattr("app.classview.SILENT", 1.0)
    client, teacher, code, stack = lesson
    watcher = stack.enter_context(client.websocket_connect(f"/ws/beans?follow={code}&name=Cy"))
    until_frame(watcher)
    teacher.send_json({"op": "class", "do": "view", "open": True})
    tiles = class_until(teacher, lambda t: "Cy" in by_name(t))
    assert by_name(tiles)["Cy"]["state"] == "watching"
    # still there after several silences' worth of time: the heartbeat keeps the tile
    for _ in range(6):  # three seconds: three silences' worth
        msg = recv_until(teacher, "class")
        assert by_name(tiles)["Cy"]["id"] not in msg["gone"]
    watcher.close()
    class_until(teacher, lambda t: "Cy" not in by_name(t), tiles)
