"""docs/deploy.md names settings an operator copies into production: each one must be a variable
orderdesk reads (a misspelt name would be ignored without a word), and its example environment file
must load."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from orderdesk.settings import Settings

DOC = Path(__file__).parents[2] / "docs" / "deploy.md"
_NAME = re.compile(r"\bORDERDESK_[A-Z_]*[A-Z]\b")
# Values for the variables the page names outside its example environment file.
_MENTIONED = {
    "ORDERDESK_DATABASE_POOL_SIZE": "7",
    "ORDERDESK_MAX_REQUEST_BYTES": "2048",
    "ORDERDESK_WORKER_STALE_AFTER_SECONDS": "11",
    "ORDERDESK_NOTIFICATIONS_WORKER_CONCURRENCY": "3",
    "ORDERDESK_SMTP_CONNECTIONS": "2",
    "ORDERDESK_PURCHASES_RATE_LIMIT_STORAGE": "memory",
}


_KEY_FILE = "/etc/orderdesk/idp.pem"
"""The identity provider's public key the example names: a file the operator puts there."""


def _example_environment(key_file: Path) -> dict[str, str]:
    """The example's variables, its key file at `key_file` (settings refuse a key they cannot read)."""
    text = DOC.read_text()
    block = text.split("# /etc/orderdesk/orderdesk.env", 1)[1].split("```", 1)[0]
    values = {}
    for line in block.splitlines()[1:]:
        name, _, value = line.partition("=")
        unquoted = value.strip().removeprefix("'").removesuffix("'")
        values[name.strip()] = unquoted.replace(_KEY_FILE, str(key_file))
    return values


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    path = tmp_path / "idp.pem"
    path.write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No ORDERDESK_ variable and no .env file of the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("ORDERDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_deploy_doc__example_environment__loads_with_every_value(
    clean_environment: pytest.MonkeyPatch, key_file: Path
) -> None:
    assert _KEY_FILE in DOC.read_text()
    example = _example_environment(key_file)
    for name, value in example.items():
        clean_environment.setenv(name, value)

    settings = Settings()

    assert settings.database_url == example["ORDERDESK_DATABASE_URL"]
    assert settings.public_base_url == example["ORDERDESK_PUBLIC_BASE_URL"]
    assert settings.auth.trusted_keys == {"https://idp.example.com": str(key_file)}
    assert settings.notifications.kannel_dlr_secret is not None


def test_deploy_doc__every_variable_it_names__changes_a_setting(
    clean_environment: pytest.MonkeyPatch, key_file: Path
) -> None:
    values = {**_example_environment(key_file), **_MENTIONED}
    named = set(_NAME.findall(DOC.read_text()))
    assert named <= set(values), named - set(values)
    default = Settings().model_dump()
    for name in sorted(named):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(name, values[name])
            assert Settings().model_dump() != default, f"{name} is not read"
