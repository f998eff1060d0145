"""The ``recent_*_predictions[symbol]`` deques, safe to append to directly.

The original system's backtest loop does ``orchestrator.recent_cnn_predictions[symbol]
.append(data)``. Here that ``append`` goes through the prediction book exactly as
``store_cnn_prediction`` does: validated (a bad prediction raises the same ``PredictionError``),
written to SQLite, drawn. The book itself fills the deque through ``_put``/``_replace``, so
loading from SQLite never writes anything back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from predictions.input import PredictionError


class PredictionDeque(deque):
    def __init__(self, book, kind: str, symbol: str, maxlen: int):
        super().__init__(maxlen=maxlen)
        self._book = book
        self._kind = kind
        self._symbol = symbol

    # ---- what callers may do -----------------------------------------------------------------
    def append(self, item: dict[str, Any]) -> None:
        self._book.add(self._kind, self._symbol, item)

    def extend(self, items: Iterable[dict[str, Any]]) -> None:
        for item in list(items):
            self.append(item)

    def __iadd__(self, items: Iterable[dict[str, Any]]) -> PredictionDeque:
        self.extend(items)
        return self

    def clear(self) -> None:
        """As ``clear_predictions(symbol, kinds=(kind,))``: stored rows are kept, marked cleared."""
        self._book.clear(self._symbol, (self._kind,))

    def copy(self) -> deque:
        return deque(self, maxlen=self.maxlen)

    __copy__ = copy

    def __add__(self, other: Iterable) -> deque:
        return deque([*self, *other], maxlen=self.maxlen)

    def __reduce__(self):
        return deque, (list(self), self.maxlen)

    # ---- what would bypass validation or storage -------------------------------------------------
    def _refuse(self, *_args, **_kwargs):
        raise PredictionError(
            f"recent_{self._kind}_predictions[{self._symbol!r}] keeps predictions in the order"
            " they were stored: use append() (or store_*_prediction); clear() or"
            " clear_predictions() removes them"
        )

    appendleft = extendleft = insert = remove = rotate = _refuse
    pop = popleft = __setitem__ = __delitem__ = __imul__ = _refuse

    # ---- the book's own access (already validated and stored) --------------------------------
    def _put(self, prediction: dict[str, Any]) -> None:
        deque.append(self, prediction)

    def _replace(self, predictions: Iterable[dict[str, Any]]) -> None:
        deque.clear(self)
        deque.extend(self, predictions)


class PredictionDeques(dict):
    """symbol -> deque; an unknown symbol (an imported series) gets its deques on first use."""

    def __init__(self, book):
        super().__init__()
        self._book = book

    def __missing__(self, symbol: str) -> PredictionDeque:
        self._book._ensure(symbol)
        return dict.__getitem__(self, symbol)
