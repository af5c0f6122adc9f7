"""Settings as an operator meets them at the command line: a bad value ends any command with exit
code 2 and one line naming the variable and what it expects; a misspelt `ORDERDESK_` variable is
named in a warning with the setting it was probably meant for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.processes import run_orderdesk

pytestmark = pytest.mark.slow  # every test runs `orderdesk` in a subprocess

COMMANDS = [
    ["serve", "--port", "1"],
    ["worker"],
    ["migrate"],
    ["token", "--org", "ttd"],
    ["config", "show"],
    ["clients", "add", "web shop"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
def test_any_command__port_not_a_number__exits_2_with_one_line_naming_the_variable(
    tmp_path: Path, command: list[str]
) -> None:
    result = run_orderdesk(tmp_path / "home", *command, env={"ORDERDESK_SMTP_PORT": "abc"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["ORDERDESK_SMTP_PORT: expected an integer, got 'abc'"]
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("env", "line"),
    [
        (
            {"ORDERDESK_LOG_FORMAT": "xml"},
            "ORDERDESK_LOG_FORMAT: expected one of 'auto', 'console' or 'json', got 'xml'",
        ),
        (
            {"ORDERDESK_DATABASE_POOL_SIZE": "1"},
            "ORDERDESK_DATABASE_POOL_SIZE: expected a number at least 2, got '1'",
        ),
        (
            {"ORDERDESK_WORKER_POLL_SECONDS": "soon"},
            "ORDERDESK_WORKER_POLL_SECONDS: expected a number, got 'soon'",
        ),
        (
            {"ORDERDESK_DATABASE_ECHO": "maybe"},
            "ORDERDESK_DATABASE_ECHO: expected true or false, got 'maybe'",
        ),
        (
            {"ORDERDESK_AUTH_TRUSTED_KEYS": "issuer=key.pem"},
            "ORDERDESK_AUTH_TRUSTED_KEYS: expected a JSON value (a list or object, e.g. {} or [])",
        ),
        (
            {"ORDERDESK_AUTH_TRUSTED_KEYS": '{"idporten": "notapem"}'},
            "ORDERDESK_AUTH_TRUSTED_KEYS: the key of issuer 'idporten' is neither a PEM public key nor the"
            " path of a readable PEM file (FileNotFoundError)",
        ),
        (
            {"ORDERDESK_SMS_WINDOW_START_HOUR": "18"},
            "ORDERDESK_SMS_WINDOW_START_HOUR, ORDERDESK_SMS_WINDOW_END_HOUR:"
            " sms_window_start_hour must be before sms_window_end_hour",
        ),
    ],
    ids=["choice", "bound", "old-name", "flag", "json", "key", "rule"],
)
def test_token__bad_value__exits_2_with_the_variable_and_what_it_expects(
    tmp_path: Path, env: dict[str, str], line: str
) -> None:
    result = run_orderdesk(tmp_path / "home", "token", "--org", "ttd", env=env)
    assert (result.returncode, result.stderr.splitlines()) == (2, [line])


def test_token__misspelt_variable__warns_naming_it_and_the_setting_meant(tmp_path: Path) -> None:
    env = {"ORDERDESK_SMTP_PROT": "2525", "ORDERDESK_LOG_FORMAT": "json", "ORDERDESK_TEST_ANYTHING": "1"}
    result = run_orderdesk(tmp_path / "home", "token", "--org", "ttd", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(".") == 2  # the token, a JWT, still printed
    [warning] = [json.loads(line) for line in result.stderr.splitlines()]
    assert warning["event"] == "unknown_setting"
    assert warning["level"] == "warning"
    assert warning["variable"] == "ORDERDESK_SMTP_PROT"
    assert warning["suggestion"] == "ORDERDESK_SMTP_PORT"
    assert warning["hint"] == "did you mean ORDERDESK_SMTP_PORT?"


def test_config_show__unknown_variable_far_from_any__warned_without_a_suggestion(tmp_path: Path) -> None:
    env = {"ORDERDESK_COLOUR": "blue", "ORDERDESK_LOG_FORMAT": "json"}
    result = run_orderdesk(tmp_path / "home", "config", "show", env=env)
    assert result.returncode == 0, result.stderr
    [warning] = [json.loads(line) for line in result.stderr.splitlines()]
    assert (warning["variable"], warning["suggestion"]) == ("ORDERDESK_COLOUR", None)


def test_token__only_known_and_test_variables__no_warning(tmp_path: Path) -> None:
    env = {"ORDERDESK_NOTIFICATIONS_WORKER_POLL_SECONDS": "2", "ORDERDESK_RETRY_BASE_SECONDS": "3"}
    result = run_orderdesk(tmp_path / "home", "token", "--org", "ttd", env={**env, "ORDERDESK_TEST_X": "1"})
    assert result.returncode == 0
    assert result.stderr == ""
