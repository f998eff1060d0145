"""One-way imports: each package imports only the packages below it (the order in LAYERS).

Type-only imports (under ``if TYPE_CHECKING:``) are not imports at run time and are not counted:
a feed's ``from_config(config: Config)`` names the composite built in runtime/ without needing it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# From the ground up; a package may import itself and anything before it in this list.
LAYERS = [
    "core",
    "market",
    "labels",
    "predictions",
    "models",
    "training",
    "serving",
    "backtest",
    "alerts",
    "runtime",
    "dashboard",
]
# Inside dashboard/: the package root (ids, callbacks, context, theme), then these, bottom first.
DASHBOARD_LAYERS = ["figures", "api", "panels", "server"]


def _parse(path):
    """``ast.parse``, once more on CPython 3.11's "AST constructor recursion depth mismatch": its
    depth counter is shared by threads, and app threads left by earlier tests in this worker may
    be parsing too (fixed in later CPython)."""
    try:
        return ast.parse(path.read_text(), str(path))
    except SystemError:
        return ast.parse(path.read_text(), str(path))


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports at run time (function-level imports included)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _is_type_checking(node):
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(_parse(path))
    return names


def _ours(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[0] in LAYERS}


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_only_the_packages_below_it(package):
    allowed = set(LAYERS[: LAYERS.index(package) + 1])
    offenders = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        wrong = sorted(n for n in _ours(imports(path)) if n.split(".")[0] not in allowed)
        if wrong:
            offenders[str(path.relative_to(ROOT))] = wrong
    assert offenders == {}


def _dashboard_part(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "dashboard" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in DASHBOARD_LAYERS else ""


@pytest.mark.parametrize("part", DASHBOARD_LAYERS)
def test_inside_the_dashboard_figures_api_panels_and_server_import_one_way(part):
    allowed = {""} | set(DASHBOARD_LAYERS[: DASHBOARD_LAYERS.index(part) + 1])
    if part == "panels":  # a panel never reaches into the REST routes
        allowed.discard("api")
    offenders = {}
    for path in sorted((ROOT / "dashboard" / part).rglob("*.py")):
        wrong = sorted(
            n
            for n in imports(path)
            if _dashboard_part(n) is not None and _dashboard_part(n) not in allowed
        )
        if wrong:
            offenders[str(path.relative_to(ROOT))] = wrong
    assert offenders == {}


def test_the_cli_never_imports_the_dashboard():
    assert sorted(n for n in imports(ROOT / "cli.py") if n.split(".")[0] == "dashboard") == []


def test_every_package_says_what_it_holds_and_what_it_may_import():
    packages = [ROOT / p for p in LAYERS] + [ROOT / "dashboard" / p for p in DASHBOARD_LAYERS]
    missing = []
    for folder in packages:
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        if "import" not in doc.lower():
            missing.append(str(folder.relative_to(ROOT)))
    assert missing == []
