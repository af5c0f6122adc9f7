"""A home's record of its database: which URLs name the same database, and a record that cannot be
read refusing the home rather than being written over."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderdesk.core.home import HomeRefused, claim_home, database_identity, recorded_database, require_home


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("postgresql+asyncpg://app:s3cret@db.example.com/orders", "postgresql://db.example.com:5432/orders"),
        ("postgresql://other:pw@db.example.com:5432/orders", "postgresql://db.example.com:5432/orders"),
        ("postgresql+asyncpg://db.example.com:6432/orders", "postgresql://db.example.com:6432/orders"),
        ("sqlite+aiosqlite:////srv/orderdesk/orderdesk.db", "sqlite:////srv/orderdesk/orderdesk.db"),
        ("not a url", "(unreadable database URL)"),
    ],
)
def test_database_identity__driver_and_credentials_left_out(url: str, identity: str) -> None:
    assert database_identity(url) == identity


def test_database_identity__relative_sqlite_file__resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert (
        database_identity("sqlite+aiosqlite:///var/orderdesk.db")
        == f"sqlite:///{tmp_path.resolve()}/var/orderdesk.db"
    )


def test_require_home__missing__refused_naming_the_setting_and_path(tmp_path: Path) -> None:
    with pytest.raises(HomeRefused, match="ORDERDESK_HOME") as refused:
        require_home(tmp_path / "var")

    assert str(tmp_path / "var") in str(refused.value)
    assert not (tmp_path / "var").exists()


def test_claim_home__same_database_by_another_url__accepted(tmp_path: Path) -> None:
    claim_home(tmp_path, "postgresql+asyncpg://a:one@db:5432/orders")

    claim_home(tmp_path, "postgresql://b:two@db/orders")

    assert recorded_database(tmp_path) == "postgresql://db:5432/orders"


@pytest.mark.parametrize(
    "text", ["{not json", "[]", '{"database": 5}'], ids=["not-json", "not-object", "no-name"]
)
def test_claim_home__unreadable_record__refused_and_kept(tmp_path: Path, text: str) -> None:
    (tmp_path / "home.json").write_text(text)

    with pytest.raises(HomeRefused, match=r"home\.json"):
        claim_home(tmp_path, "postgresql://db/orders")

    assert (tmp_path / "home.json").read_text() == text
