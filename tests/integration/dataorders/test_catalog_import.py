"""`orderdesk catalog import DIR --dataset NAME`, run as users run it: what it registers, that running
it again changes nothing, and that it follows the folder when files change or go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import run_orderdesk


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    (root / "productA" / "sub").mkdir(parents=True)
    (root / "productB").mkdir()
    (root / "productA" / "a1.txt").write_text("first file\n")
    (root / "productA" / "sub" / "a2.csv").write_text("x,y\n1,2\n")
    (root / "productB" / "b1.bin").write_bytes(bytes(range(256)) * 4)
    (root / "top.dat").write_bytes(b"top-level product")
    return root


def imported(home: Path, folder: Path, dataset: str = "ds1") -> dict[str, Any]:
    result = run_orderdesk(home, "catalog", "import", str(folder), "--dataset", dataset)
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads(result.stdout)
    return summary


def test_catalog_import__sub_folders_and_top_level_files_are_products(tmp_path: Path, folder: Path) -> None:
    summary = imported(tmp_path / "home", folder)

    assert summary == {
        "dataset": "ds1",
        "products": 3,
        "files": 4,
        "bytes": 11 + 8 + 1024 + 17,
        "added": 4,
        "changed": 0,
        "removed": 0,
    }


def test_catalog_import__again__changes_nothing(tmp_path: Path, folder: Path) -> None:
    home = tmp_path / "home"
    imported(home, folder)

    again = imported(home, folder)

    assert (again["files"], again["added"], again["changed"], again["removed"]) == (4, 0, 0, 0)


def test_catalog_import__folder_changed__follows_it(tmp_path: Path, folder: Path) -> None:
    home = tmp_path / "home"
    imported(home, folder)
    (folder / "productA" / "a1.txt").write_text("first file, edited\n")
    (folder / "top.dat").unlink()
    (folder / "productC").mkdir()
    (folder / "productC" / "c1.json").write_text("{}")

    summary = imported(home, folder)

    assert (summary["products"], summary["files"]) == (3, 4)
    assert (summary["added"], summary["changed"], summary["removed"]) == (1, 1, 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["catalog", "import", "/nonexistent/folder", "--dataset", "ds"], "is not a folder"),
        (["catalog", "import", ".", "--dataset", "   "], "dataset name"),
    ],
)
def test_catalog_import__bad_arguments__exit_2_and_say_why(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    result = run_orderdesk(tmp_path / "home", *arguments)

    assert result.returncode == 2
    assert message in result.stderr
