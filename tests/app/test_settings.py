"""Settings: every value checked at startup, with one clear line per bad variable."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.main import create_app
from app.server import HeaderTimeoutProtocol, uvicorn_options
from app.settings import Settings, SettingsError, check_limits
from engine.labs import registry

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_valid_and_numbers_are_read_from_text() -> None:
    s = Settings.from_env(
        {"DESCENT_FPS": "20", "DESCENT_MAX_SESSIONS_PER_CLIENT": "3", "DESCENT_LIMITS": "{}"}
    )
    assert s.fps == 20.0 and s.max_sessions_per_client == 3
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize(
    ("var", "value", "expected"),
    [
        ("DESCENT_FPS", "0", "greater than 0"),
        ("DESCENT_FPS", "-5", "greater than 0"),
        ("DESCENT_FPS", "nan", "finite"),
        ("DESCENT_FPS", "fast", "valid number"),
        ("DESCENT_MAX_SESSIONS", "-1", "greater than or equal to 1"),
        ("DESCENT_MAX_STEPS", "1.5", "valid integer"),
        ("DESCENT_HEADER_TIMEOUT_S", "0", "greater than 0"),
        ("DESCENT_JOINS_PER_MINUTE", "-3", "greater than 0"),
        ("DESCENT_MAX_MESSAGE_BYTES", "99999999", "less than or equal"),
        ("DESCENT_LIMITS", "{bad", "expected JSON"),
        ("DESCENT_LIMITS", "[1, 2]", "valid dictionary"),
        ("DESCENT_LIMITS", '{"beans": {"n": -5}}', "beans.n"),
        ("DESCENT_WS_ORIGINS", "school.example", "expected origins like"),
        ("DESCENT_ALLOWED_HOSTS", "http://school.example", "expected host names"),
        ("DESCENT_ALLOWED_HOSTS", "school.example:8000", "without scheme or port"),
        ("DESCENT_ALLOWED_HOSTS", "lab.*.example", "expected host names"),
    ],
)
def test_a_bad_value_names_the_variable_the_value_and_what_is_expected(
    var: str, value: str, expected: str
) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({var: value})
    message = str(info.value)
    assert f"{var}={value!r}" in message and expected in message, message
    assert "\n" not in message  # one line for one bad variable


def test_every_bad_variable_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"DESCENT_FPS": "0", "DESCENT_WORKER_THREADS": "many"})
    assert str(info.value).count("\n") == 1
    assert "DESCENT_FPS" in str(info.value) and "DESCENT_WORKER_THREADS" in str(info.value)


def test_settings_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(SettingsError, match=r"DESCENT_MAX_CONNECTIONS \(100\) must exceed"):
        Settings.from_env({"DESCENT_MAX_CONNECTIONS": "100", "DESCENT_MAX_SESSIONS": "200"})


def test_an_unknown_variable_is_a_warning_with_a_suggestion(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="app.settings"):
        Settings.from_env({"DESCENT_MAX_SESION": "10", "OTHER": "x"})
    assert "DESCENT_MAX_SESION is not a setting" in caplog.text
    assert "did you mean DESCENT_MAX_SESSIONS?" in caplog.text
    assert "OTHER" not in caplog.text


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ({"beanz": {"n": 500}}, "no lab named 'beanz'"),
        ({"beans": {"size": 500}}, "beans has no param 'size'"),
        ({"beans": {"method": 2}}, "beans.method is not a number or a list"),
        ({"beans": {"n": 1}}, "under its minimum 2"),
        ({"circles": {"hidden": 2}}, "under its default 4"),
    ],
)
def test_limits_must_name_a_lab_and_a_numeric_param(
    limits: dict[str, dict[str, float]], expected: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(expected)):
        check_limits(limits, registry())
    with pytest.raises(SettingsError, match=re.escape(expected)):  # the app refuses to start
        create_app(Settings(limits=limits))


def test_good_limits_pass() -> None:
    check_limits({"circles": {"n": 1000, "hidden": 4}, "beans": {"lr": 1}}, registry())


def run_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DESCENT_")}
    return subprocess.run(
        [sys.executable, "-m", "app", "--port", "1"],  # never reached: it stops first
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_server_refuses_to_start_with_a_clear_message_and_no_traceback() -> None:
    done = run_cli({"DESCENT_FPS": "0", "DESCENT_LIMITS": '{"beans": {"size": 5}}'})
    assert done.returncode == 2
    assert "DESCENT_FPS='0': Input should be greater than 0" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_the_server_refuses_unknown_lab_params_before_listening() -> None:
    done = run_cli({"DESCENT_LIMITS": '{"beans": {"size": 5}}'})
    assert done.returncode == 2
    assert "DESCENT_LIMITS: beans has no param 'size'" in done.stderr
    assert "Traceback" not in done.stderr


def test_uvicorn_gets_the_timeouts_and_limits() -> None:
    s = Settings(
        idle_timeout_s=7,
        header_timeout_s=3.5,
        max_connections=900,
        ws_ping_interval_s=11,
        ws_ping_timeout_s=12,
        shutdown_timeout_s=4,
    )
    options = uvicorn_options(s)
    assert options["timeout_keep_alive"] == 7 and options["limit_concurrency"] == 900
    assert options["ws_ping_interval"] == 11 and options["ws_ping_timeout"] == 12
    assert options["timeout_graceful_shutdown"] == 4
    protocol = options["http"]
    assert protocol.func is HeaderTimeoutProtocol
    assert protocol.keywords == {"header_timeout_s": 3.5}
