"""Settings as an operator meets them: a bad value is one line naming its variable and what it
expects (not pydantic's traceback naming an internal class), and an `ORDERDESK_` variable that no
setting reads is named, with the setting it was probably meant for.

Entry points (the CLI, an app factory under `uvicorn --factory`) load settings through
`load_settings`; the model itself stays in `settings.py`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from dotenv import dotenv_values
from pydantic import AliasChoices, BaseModel, SecretStr, ValidationError
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsError as _SourceError

from orderdesk.settings import Settings

PREFIX = "ORDERDESK_"

NOT_SETTINGS = ("ORDERDESK_TEST_", "ORDERDESK_BENCH_")
"""Prefixes of variables read by the test suite and the benchmarks, not by orderdesk: never warned
about."""


class SettingsInvalid(Exception):
    """The environment (or `.env`) holds values the settings refuse; `lines` name each variable."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True, slots=True)
class _Field:
    model: type[BaseModel]
    name: str
    variables: tuple[str, ...]
    """Every variable that sets it, the preferred one first."""
    secret: bool


def _groups() -> Iterator[tuple[type[BaseSettings], str]]:
    """The settings root and each nested group, with the prefix of its variables."""
    yield Settings, PREFIX
    for field in Settings.model_fields.values():
        group = field.annotation
        if isinstance(group, type) and issubclass(group, BaseSettings):
            yield group, str(group.model_config.get("env_prefix", ""))


def _fields() -> list[_Field]:
    found: list[_Field] = []
    for model, prefix in _groups():
        for name, field in model.model_fields.items():
            alias = field.validation_alias
            if isinstance(alias, AliasChoices):
                variables = tuple(str(choice).upper() for choice in alias.choices)
            elif isinstance(alias, str):
                variables = (alias.upper(),)
            else:
                variables = (f"{prefix}{name}".upper(),)
            secret = "SecretStr" in str(field.annotation) or field.annotation is SecretStr
            found.append(_Field(model, name, variables, secret))
    return found


def known_variables() -> frozenset[str]:
    """Every variable some setting reads."""
    return frozenset(variable for field in _fields() for variable in field.variables)


def load_settings() -> Settings:
    """The settings from the environment and `.env`; raises SettingsInvalid naming each bad variable."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsInvalid(describe_validation_error(error)) from None
    except _SourceError as error:
        raise SettingsInvalid([describe_source_error(error)]) from None


def describe_validation_error(error: ValidationError) -> list[str]:
    """One line per refused value: `VARIABLE: expected …, got '…'`."""
    fields = [field for field in _fields() if field.model.__name__ == error.title]
    lines: list[str] = []
    for detail in error.errors():
        location = [str(part) for part in detail["loc"]]
        if not location:
            lines.append(_model_error(fields, detail))
            continue
        field = _field_at(fields, location[0])
        variable = location[0].upper() if field is None else _set_variable(field)
        # A rule's own message already quotes the value; a secret's value is never shown.
        hidden = detail["type"] == "value_error" or (field is not None and field.secret)
        got = "" if hidden else f", got {_shown(detail.get('input'))}"
        lines.append(f"{variable}: {_expected(detail)}{got}")
    return lines


def describe_source_error(error: _SourceError) -> str:
    """pydantic-settings' own error (a list or mapping setting that is not JSON) as one line."""
    match = re.search(r'field "([^"]+)"', str(error))
    name = match.group(1) if match else ""
    variables = [field.variables[0] for field in _fields() if field.name == name]
    variable = variables[0] if len(variables) == 1 else f"the variable of setting {name!r}"
    return f"{variable}: expected a JSON value (a list or object, e.g. {{}} or [])"


def _set_variable(field: _Field) -> str:
    """The variable of `field` that is set (a renamed setting has its old name too)."""
    upper = {name.upper() for name in os.environ}
    return next((variable for variable in field.variables if variable in upper), field.variables[0])


def _field_at(fields: list[_Field], key: str) -> _Field | None:
    for field in fields:
        if key == field.name or key.upper() in field.variables:
            return field
    return None


def _model_error(fields: list[_Field], detail: Mapping[str, Any]) -> str:
    """A rule over several values (e.g. the SMS window's start before its end): named by the
    variables the message mentions, else by those that were set."""
    message = str(detail["msg"]).removeprefix("Value error, ")
    given = detail.get("input")
    named = [field.variables[0] for field in fields if field.name in message]
    if not named and isinstance(given, Mapping):
        named = [_set_variable(found) for key in given if (found := _field_at(fields, str(key))) is not None]
    return f"{', '.join(named) or 'settings'}: {message}"


_EXPECTED = {
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "float_parsing": "expected a number",
    "bool_parsing": "expected true or false",
    "json_invalid": "expected a JSON value",
    "json_type": "expected a JSON value",
    "dict_type": "expected a JSON object",
    "list_type": "expected a JSON list",
    "url_parsing": "expected a URL",
    "path_type": "expected a path",
}
_BOUNDS = {
    "greater_than": "greater than {gt}",
    "greater_than_equal": "at least {ge}",
    "less_than": "less than {lt}",
    "less_than_equal": "at most {le}",
}


def _expected(detail: Mapping[str, Any]) -> str:
    kind = str(detail["type"])
    context: Mapping[str, Any] = detail.get("ctx") or {}
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    if kind in _BOUNDS:
        return "expected a number " + _BOUNDS[kind].format(**context)
    if kind == "literal_error":
        return f"expected one of {context.get('expected', '')}"
    if kind == "value_error":
        return str(detail["msg"]).removeprefix("Value error, ")
    return str(detail["msg"])[:1].lower() + str(detail["msg"])[1:]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "...'"


@dataclass(frozen=True, slots=True)
class UnknownVariable:
    variable: str
    suggestion: str | None


def unknown_variables(names: Iterable[str] | None = None) -> list[UnknownVariable]:
    """`ORDERDESK_` variables among `names` (default: the environment's and `.env`'s) that no setting
    reads, which pydantic ignores without a word, each with the closest known name if one is close."""
    if names is None:
        names = [*os.environ, *dotenv_values(".env")] if Path(".env").is_file() else list(os.environ)
    # Compared without the common prefix, which would make every name look close to every other.
    known = {variable.removeprefix(PREFIX): variable for variable in known_variables()}
    unknown: list[UnknownVariable] = []
    for variable in sorted(set(names)):
        upper = variable.upper()
        if not upper.startswith(PREFIX) or upper.startswith(NOT_SETTINGS):
            continue
        if upper.removeprefix(PREFIX) in known:
            continue
        close = difflib.get_close_matches(upper.removeprefix(PREFIX), known, n=1, cutoff=0.7)
        unknown.append(UnknownVariable(variable, known[close[0]] if close else None))
    return unknown


def warn_unknown_variables() -> None:
    """Log a warning for each unknown `ORDERDESK_` variable (once per process start: entry points
    call it after setting up the logs)."""
    log = structlog.get_logger(__name__)
    for unknown in unknown_variables():
        hint = f"did you mean {unknown.suggestion}?" if unknown.suggestion else "no setting has this name"
        log.warning("unknown_setting", variable=unknown.variable, suggestion=unknown.suggestion, hint=hint)
