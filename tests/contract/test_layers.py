"""The import rules of STYLE.md: families never import each other; only some layers use a framework."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "orderdesk"
FAMILIES = ("notifications", "dataorders", "purchases")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules() -> list[tuple[Path, set[str]]]:
    return [(path, _imports(path)) for path in SRC.rglob("*.py")]


def test_families__never_import_each_other() -> None:
    offences = []
    for path, imports in _modules():
        parts = path.relative_to(SRC).parts
        if parts[0] not in FAMILIES:
            continue
        for other in FAMILIES:
            if other != parts[0] and any(name.startswith(f"orderdesk.{other}") for name in imports):
                offences.append(f"{path.relative_to(SRC)} imports orderdesk.{other}")
    assert offences == []


def test_fastapi__only_in_routers_web_app_and_health() -> None:
    """Web-layer modules: app.py and asgi.py (which builds it for uvicorn's worker processes),
    health.py, `router.py`/`*_router.py`, a family's `deps.py` (its FastAPI dependencies), and packages
    named `api` (or, until every family has moved, `routes`)."""
    allowed = {"app.py", "asgi.py", "health.py", "router.py", "deps.py"}
    offences = [
        str(path.relative_to(SRC))
        for path, imports in _modules()
        if any(name.split(".")[0] in ("fastapi", "starlette") for name in imports)
        and path.name not in allowed
        and not path.name.endswith("_router.py")
        and path.relative_to(SRC).parts[0] != "web"
        and not {"api", "routes"} & set(path.relative_to(SRC).parts)
    ]
    assert offences == []


_BELOW_THE_WEB = ("service", "models", "repository", "rules", "storage", "tables", "errors")
"""Modules of a family below the web layer, or packages of them (`service/ordering.py`)."""


def _below_the_web(path: Path) -> bool:
    parts = path.relative_to(SRC).parts
    return path.stem in _BELOW_THE_WEB or (len(parts) > 2 and parts[1] in _BELOW_THE_WEB)


def _is_web(module: str) -> bool:
    """`orderdesk.web` and the frameworks, not `orderdesk.webhooks` (a service below the web)."""
    top = module.split(".")
    return top[0] in ("fastapi", "starlette", "typer") or top[:2] == ["orderdesk", "web"]


def test_services_and_models__never_import_the_web_layer() -> None:
    offences = [
        str(path.relative_to(SRC))
        for path, imports in _modules()
        if _below_the_web(path) and any(_is_web(name) for name in imports)
    ]
    assert offences == []


def test_typer__only_in_the_cli() -> None:
    offences = [
        str(path.relative_to(SRC))
        for path, imports in _modules()
        if "typer" in imports and path.relative_to(SRC).parts[0] != "cli"
    ]
    assert offences == []


def test_app_state__read_only_by_the_dependency_functions() -> None:
    """Routes take typed dependencies; `create_app` stores what they hand out once, in web/deps.py.
    web/methods.py keeps there the table of the app's own routes it derives on first use."""
    allowed = {Path("web", "deps.py"), Path("web", "methods.py")}
    offences = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "app.state" in path.read_text(encoding="utf-8") and path.relative_to(SRC) not in allowed
    ]
    assert offences == []


def test_families__read_only_their_own_settings_group() -> None:
    """Only the composition roots (app, cli, worker_runtime) see the whole Settings root."""
    offences = []
    for path in SRC.rglob("*.py"):
        if path.relative_to(SRC).parts[0] not in FAMILIES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "orderdesk.settings":
                if any(alias.name == "Settings" for alias in node.names):
                    offences.append(str(path.relative_to(SRC)))
            elif isinstance(node, ast.Import) and any(a.name == "orderdesk.settings" for a in node.names):
                offences.append(str(path.relative_to(SRC)))
    assert offences == []


def test_core_and_web__import_no_family() -> None:
    """The shared layers know no family: errors carry their own problem mapping, so the edge renders
    any of them without importing it."""
    offences = [
        f"{path.relative_to(SRC)} imports {name}"
        for path, imports in _modules()
        if path.relative_to(SRC).parts[0] in ("core", "web")
        for name in imports
        if name.startswith(tuple(f"orderdesk.{family}" for family in FAMILIES))
    ]
    assert offences == []
