"""One-way imports: nothing but app.py imports dashboard/ (cli.py, core/, training/, models/)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_library_code_and_the_cli_never_import_dashboard():
    files = [ROOT / "cli.py"]
    for folder in ("core", "training", "models"):
        files += sorted((ROOT / folder).rglob("*.py"))
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imports(path) if n.split(".")[0] == "dashboard"
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}
