"""Running a parameter search: which trials, in what order, on the executor's workers.

- ``grid``: every admissible combination in ``itertools.product`` order (backtesting.py's
  ``optimize``), or, with ``max_tries``, a random subset of them (seeded by ``seed``).
- ``tpe``: optuna's TPE sampler, seeded. Trials are asked in fixed batches
  (``research.tpe_batch``), run in parallel and told in the order they were asked, so a seed
  gives the same trials with any number of workers, and after a resume (the batches are asked
  again and the stored trials told again, in the same order). A combination the constraint
  refuses is told failed and asked again; one asked before is told its earlier value without
  running again; a trial with no result is told pruned (the sampler counts it among the worst).

Each finished trial goes to ``on_trial`` at once (the store), and a resumed search starts from
the trials stored before (``done``): they are not run again.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from backtest.search_request import SearchRequest
from backtest.search_space import iter_grid, sample_indices
from backtest.trials import WINDOW, TrialSetup, run_trial
from core.compute import Executor, TrialError

log = logging.getLogger(__name__)

OnTrial = Callable[[int, dict, dict], None]
Progress = Callable[[float], None]
MAX_REFUSED = 10_000  # tpe proposals the constraint may refuse in a row before the search stops


@dataclass
class Searcher:
    """One search's trials over one executor. ``window``: the bars ``[lo, hi)`` of the shared
    arrays it searches (a walk-forward fold's in-sample window)."""

    request: SearchRequest
    executor: Executor
    setup: TrialSetup
    on_trial: OnTrial
    progress: Progress
    done: dict[int, dict]  # stored trials by index (resume)
    batch: int = 8
    window: tuple[int, int] | None = None

    def run(self) -> list[dict]:
        """Every trial (stored and new) as ``{idx, params, value, trades, stats}``, in order."""
        if self.request.method == "tpe":
            return self._tpe()
        return self._grid()

    # ---- grid --------------------------------------------------------------------------------
    def plan_grid(self) -> list[dict]:
        request = self.request
        varying = [d for d in request.dimensions if d.varies]
        admissible = request.admissible()
        combos = [p for p in iter_grid(varying) if admissible is None or admissible(p)]
        if request.max_tries and request.max_tries < len(combos):
            combos = [combos[i] for i in sample_indices(len(combos), request.max_tries,
                                                         request.seed)]  # fmt: skip
        return combos

    def _grid(self) -> list[dict]:
        combos = self.plan_grid()
        trials = dict(self._known(combos))
        todo = [i for i in range(len(combos)) if i not in trials]
        self._evaluate(todo, combos, trials, len(combos))
        return [trials[i] for i in range(len(combos))]

    def _known(self, combos: list[dict]):
        for idx, trial in self.done.items():
            if idx < len(combos) and _key(trial["params"]) == _key(combos[idx]):
                yield idx, trial

    def _evaluate(self, todo: list[int], combos, trials: dict, total: int) -> None:
        """Run ``combos[i]`` for each ``i`` in ``todo``, storing each as it finishes."""
        if not todo:
            return
        extra = {} if self.window is None else {WINDOW: self.window}
        work = [{**combos[i], **extra} for i in todo]
        with contextlib.closing(self.executor.map(run_trial, self.setup, work)) as results:
            for position, result in results:
                idx = todo[position]
                if isinstance(result, TrialError):
                    result = {"value": None, "trades": 0, "stats": {}, "error": result.message}
                trial = {"idx": idx, "params": combos[idx], **result}
                trials[idx] = trial
                self.on_trial(idx, combos[idx], result)
                self.progress(len(trials) / max(total, 1))

    # ---- tpe ---------------------------------------------------------------------------------
    def _tpe(self) -> list[dict]:
        import optuna
        from optuna.distributions import CategoricalDistribution, IntDistribution
        from optuna.trial import TrialState

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        request = self.request
        dims = [d for d in request.dimensions if d.varies]
        # each parameter is sampled as the position of its value: a range in order, on its
        # step; a list as categories
        distributions = {
            d.name: IntDistribution(0, len(d.values) - 1) if _is_range(request, d.name)
            else CategoricalDistribution(list(range(len(d.values))))
            for d in dims
        }  # fmt: skip
        admissible = request.admissible()
        sampler = optuna.samplers.TPESampler(seed=request.seed)
        study = optuna.create_study(direction="maximize", sampler=sampler)
        total = request.tries
        stored = {_key(t["params"]): t for t in self.done.values()}
        trials: dict[int, dict] = {}
        values: dict[str, dict] = {}  # every combination told so far, by key
        asked = 0
        space = _space_size(dims, admissible)
        while asked < total and len(values) < space:
            batch, refused = [], 0
            while len(batch) < self.batch and asked + len(batch) < total:
                trial = study.ask(distributions)
                params = {d.name: d.values[trial.params[d.name]] for d in dims}
                if admissible is not None and not admissible(params):
                    study.tell(trial, state=TrialState.FAIL)
                    refused += 1
                    if refused > MAX_REFUSED:
                        break
                    continue
                batch.append((trial, params))
            if not batch:
                break
            combos, todo, fresh = [], [], set()
            for position, (_, params) in enumerate(batch):
                idx = asked + position
                combos.append(params)
                key = _key(params)
                if key in values or key in fresh:
                    continue  # asked before: told its value again, not run again
                fresh.add(key)
                if key in stored:
                    trials[idx] = {**stored[key], "idx": idx}
                else:
                    todo.append(idx)
            by_idx = dict(enumerate(combos, start=asked))
            self._evaluate(todo, by_idx, trials, total)
            for position, (trial, params) in enumerate(batch):
                key = _key(params)
                # a combination asked again (before, or earlier in this batch): its first result
                result = values.get(key) or trials[asked + position]
                values.setdefault(key, result)
                if result.get("value") is None:
                    study.tell(trial, state=TrialState.PRUNED)
                else:
                    study.tell(trial, result["value"])
            asked += len(batch)
            self.progress(min(1.0, asked / total))
            if refused > MAX_REFUSED:
                log.warning("tpe: the constraint refused %d proposals in a row", refused)
                break
        return [trials[i] for i in sorted(trials)]


def _is_range(request: SearchRequest, name: str) -> bool:
    given = request.params.get(name)
    return isinstance(given, str) and ":" in given


def _space_size(dims, admissible) -> float:
    """How many combinations tpe can find (it stops once it has told them all)."""
    size = 1
    for d in dims:
        size *= len(d.values)
    if size > 1_000_000 or admissible is None:
        return size if size <= 1_000_000 else float("inf")
    return sum(1 for p in iter_grid(dims) if admissible(p))


def _key(params: dict) -> str:
    return json.dumps(params, sort_keys=True)


def best_trial(trials: list[dict]) -> dict | None:
    """The trial with the highest value (the first one on a tie), or None when none has one."""
    best = None
    for trial in trials:
        value = trial.get("value")
        if value is not None and (best is None or value > best["value"]):
            best = trial
    return best
