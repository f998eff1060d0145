"""What a parameter search searches: each parameter's values, the constraint, the grid.

A strategy parameter may be given as

- a range, ``"5:50:5"`` (``fast=5:50:5`` on the command line): start, stop (inclusive) and step;
  whole numbers unless a part has a decimal point;
- a list, ``[20, 50, 100]`` (``slow=20,50,100``);
- a fixed value.

The constraint is a small expression over parameter names and numbers: comparisons,
``+ - * /``, ``and``, ``or`` and ``not``, such as ``fast < slow`` or ``slow >= 2 * fast``. It is
parsed with ``ast`` into that whitelist and evaluated by walking the tree; nothing is ever
``eval``-ed. Anything else is refused, naming the part.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_VALUES = 100_000  # values one range may hold


class SpaceError(ValueError):
    """A bad parameter space or constraint; ``field`` names the request field to fix."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Dimension:
    """One parameter's values. ``step`` is set for a range (tpe samples it on that step)."""

    name: str
    values: tuple
    step: float | None = None

    @property
    def varies(self) -> bool:
        return len(self.values) > 1

    @property
    def is_int(self) -> bool:
        return all(isinstance(v, int) and not isinstance(v, bool) for v in self.values)


def _number(text: str, where: str) -> int | float:
    text = text.strip()
    try:
        value = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        raise SpaceError(f"{where}: {text!r} is not a number", where) from None
    if not math.isfinite(value):
        raise SpaceError(f"{where}: {text!r} is not a finite number", where)
    return value


def parse_range(text: str, where: str) -> tuple[tuple, float]:
    """``"start:stop:step"`` -> the values (stop included) and the step."""
    parts = text.split(":")
    if len(parts) != 3:
        raise SpaceError(f"{where}: a range is start:stop:step, e.g. 5:50:5, got {text!r}", where)
    start, stop, step = (_number(p, where) for p in parts)
    if step <= 0:
        raise SpaceError(f"{where}: the step of {text!r} must be above 0", where)
    if stop < start:
        raise SpaceError(f"{where}: the stop of {text!r} is below its start", where)
    count = int(math.floor((stop - start) / step + 1e-9)) + 1
    if count > MAX_VALUES:
        raise SpaceError(f"{where}: {text!r} holds {count} values, more than {MAX_VALUES}", where)
    if all(isinstance(v, int) for v in (start, stop, step)):
        return tuple(range(start, start + count * step, step)), step
    decimals = max(len(p.strip().partition(".")[2]) for p in parts)
    values = tuple(round(start + i * step, decimals + 6) for i in range(count))
    return values, float(step)


def parse_dimension(name: str, value: Any, cli: bool = False) -> Dimension:
    """One parameter as given in JSON (``cli``: as text from ``--param NAME=VALUE``)."""
    where = f"params.{name}"
    if isinstance(value, str) and ":" in value:
        values, step = parse_range(value, where)
        return Dimension(name, values, step)
    if isinstance(value, list | tuple):
        if not value:
            raise SpaceError(f"{where}: the list of values is empty", where)
        return Dimension(name, tuple(dict.fromkeys(value)))
    if cli and isinstance(value, str) and "," in value:
        items = [v.strip() for v in value.split(",")]
        if not all(items):
            raise SpaceError(f"{where}: an empty value in the list {value!r}", where)
        return Dimension(name, tuple(dict.fromkeys(items)))
    return Dimension(name, (value,))


def grid_size(dimensions: list[Dimension]) -> int:
    return math.prod(len(d.values) for d in dimensions)


def iter_grid(dimensions: list[Dimension]) -> Iterator[dict]:
    """Every combination, in ``itertools.product`` order (backtesting.py's ``optimize``)."""
    names = [d.name for d in dimensions]
    for combo in itertools.product(*(d.values for d in dimensions)):
        yield dict(zip(names, combo, strict=True))


def sample_indices(count: int, tries: int, seed: int) -> np.ndarray:
    """``tries`` of ``count`` positions, picked at random (seeded), in order."""
    if tries >= count:
        return np.arange(count)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, size=tries, replace=False))


# ---- the constraint ---------------------------------------------------------------------------

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv}  # fmt: skip
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt,
            ast.GtE: operator.ge, ast.Eq: operator.eq, ast.NotEq: operator.ne}  # fmt: skip
ALLOWED = "comparisons, + - * /, and, or, not, parameter names and numbers"

Evaluate = Callable[[dict], Any]


def parse_constraint(text: str | None, names: list[str]) -> Evaluate | None:
    """The constraint as a function of a trial's params (True: admissible), or None when there
    is none. ``SpaceError`` (field ``constraint``) names the part refused. A division by zero
    makes the combination inadmissible."""
    if text is None or not str(text).strip():
        return None
    if not isinstance(text, str):
        raise SpaceError(f"constraint: must be text such as 'fast < slow', got {text!r}",
                         "constraint")  # fmt: skip
    source = text.strip()
    if len(source) > 1000:
        raise SpaceError("constraint: at most 1000 characters", "constraint")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise SpaceError(f"constraint: not an expression ({exc.msg}): {source!r}",
                         "constraint") from None  # fmt: skip
    compiled = _compile(tree.body, source, set(names))

    def admissible(params: dict) -> bool:
        try:
            return bool(compiled(params))
        except ZeroDivisionError:
            return False

    return admissible


def _refuse(node: ast.AST, source: str, why: str = "") -> SpaceError:
    part = ast.get_source_segment(source, node) or type(node).__name__
    reason = why or f"only {ALLOWED} are allowed"
    return SpaceError(f"constraint: {part!r} is refused: {reason}", "constraint")


def _compile(node: ast.AST, source: str, names: set[str]) -> Evaluate:  # noqa: C901
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v, source, names) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda p: all(part(p) for part in parts)
        return lambda p: any(part(p) for part in parts)
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand, source, names)
        if isinstance(node.op, ast.Not):
            return lambda p: not operand(p)
        if isinstance(node.op, ast.USub):
            return lambda p: -operand(p)
        if isinstance(node.op, ast.UAdd):
            return lambda p: +operand(p)
        raise _refuse(node, source)
    if isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            raise _refuse(node, source)
        left, right = _compile(node.left, source, names), _compile(node.right, source, names)
        return lambda p: op(left(p), right(p))
    if isinstance(node, ast.Compare):
        ops = [_COMPARE.get(type(o)) for o in node.ops]
        if None in ops:
            raise _refuse(node, source)
        terms = [_compile(node.left, source, names)]
        terms += [_compile(c, source, names) for c in node.comparators]

        def compare(p):
            values = [term(p) for term in terms]
            return all(op(a, b) for op, a, b in zip(ops, values, values[1:], strict=False))

        return compare
    if isinstance(node, ast.Name):
        if node.id not in names:
            known = ", ".join(sorted(names)) or "none"
            raise _refuse(node, source, f"not a parameter (parameters: {known})")
        key = node.id
        return lambda p: p[key]
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _refuse(node, source, "only numbers are allowed as constants")
        return lambda p: value
    raise _refuse(node, source)
