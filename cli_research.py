"""``python app.py search`` and ``python app.py walkforward``: a parameter search or walk-forward
run in the foreground on the same ``data/`` as the dashboard, printed as a table or, with
``--json``, exactly as the README says; ``--resume ID`` goes on from a run's stored trials."""

from __future__ import annotations

import logging

from backtest.stats import stats_notes
from cli_args import account, params, print_stats, search_args

log = logging.getLogger("tradedash.cli")


def orchestrator(args):
    from cli import _orchestrator

    return _orchestrator(args)


def out(text: str) -> None:
    from cli import _out

    _out(text)


def login_name() -> str:
    from cli import _login_name

    return _login_name()


def iso(ms: int) -> str:
    from cli import _iso

    return _iso(ms)


def _search_body(args) -> dict:
    body = {"symbol": args.symbol, "timeframe": args.timeframe, "strategy": args.strategy,
            "params": params(args.param), "constraint": args.constraint,
            "maximize": args.maximize, "method": args.method, "max_tries": args.max_tries,
            "min_trades": args.min_trades, "seed": args.seed, "start": args.start,
            "end": args.end, **account(args)}  # fmt: skip
    return {k: v for k, v in body.items() if v is not None}


def _research_request(args, walkforward: bool):
    from backtest.search_request import SearchRequest, parse_search

    orch = orchestrator(args)
    if args.resume:
        run = orch.research.store.get(args.resume)
        if run is None:
            raise ValueError(f"--resume {args.resume!r}: no such search or walk-forward")
        if run["status"] not in ("failed", "cancelled"):
            raise ValueError(f"--resume {args.resume}: it is {run['status']}, not resumable")
        return orch, SearchRequest.from_dict(run["request"]), args.resume
    if not args.symbol or not args.strategy:
        raise ValueError("--symbol and --strategy are required (or --resume ID)")
    body = _search_body(args)
    if walkforward:
        body.update(is_bars=args.is_bars, oos_bars=args.oos_bars, gap_bars=args.gap,
                    anchored=args.anchored)  # fmt: skip
        body = {k: v for k, v in body.items() if v is not None}
    return orch, parse_search(body, orch, cli=True, walkforward=walkforward), None


def _report(stage_state: dict):
    def report(fraction, stage):
        if stage and stage != stage_state.get("stage"):
            stage_state["stage"] = stage
            log.info("%3.0f%% %s", fraction * 100, stage)

    return report


def cmd_search(args) -> int:
    import json

    orch, request, resume = _research_request(args, walkforward=False)
    run_id = resume or orch.research.store.create("search", request.to_dict(), login_name())
    log.info("search %s: resume it with --resume %s if it stops", run_id, run_id)
    run = orch.research.run_now("search", request, _report({}), run_id=run_id)
    result = run.get("result") or {}
    best = result.get("best")
    if args.json:
        out(json.dumps({
            "best": {"params": best["params"], "stats": best["stats"]} if best else None,
            "trials": [{"params": t["params"], "value": t["value"], "trades": t["trades"]}
                       for t in run["trials"]],
            "maximize": request.maximize,
        }, indent=2, allow_nan=False))  # fmt: skip
    elif run["status"] == "done":
        out(f"search {run['id']}: {len(run['trials'])} trials of {request.strategy} on"
             f" {request.symbol} {request.timeframe}, maximising {request.maximize}")  # fmt: skip
        if best is None:
            out(f"no best result: {result.get('note')}")
        else:
            title = f"best {best['params']} ({request.maximize} {best['value']})"
            print_stats(best["stats"], title, stats_notes(best["stats"]))
    if run["status"] != "done":
        log.error("search %s %s: %s", run["id"], run["status"], run.get("error"))
        return 1
    return 0


def cmd_walkforward(args) -> int:
    import json

    orch, request, resume = _research_request(args, walkforward=True)
    run_id = resume or orch.research.store.create("walkforward", request.to_dict(), login_name())
    log.info("walk-forward %s: resume it with --resume %s if it stops", run_id, run_id)
    run = orch.research.run_now("walkforward", request, _report({}), run_id=run_id)
    result = run.get("result") or {}
    if args.json:
        out(json.dumps({
            "folds": [{"is": f["is"], "oos": f["oos"], "params": f["params"],
                       "is_stats": f["is_stats"], "oos_stats": f["oos_stats"]}
                      for f in result.get("folds") or []],
            "oos_equity": [{"time": p["time"], "equity": p["equity"]}
                           for p in result.get("oos_equity") or []],
            "efficiency": result.get("efficiency"),
        }, indent=2, allow_nan=False))  # fmt: skip
    elif run["status"] == "done":
        out(f"walk-forward {run['id']}: {len(result['folds'])} folds of {request.strategy} on"
             f" {request.symbol} {request.timeframe}, maximising {request.maximize}")  # fmt: skip
        for f in result["folds"]:
            oos = (f["oos_stats"] or {}).get("Return [%]")
            out(f"fold {f['fold'] + 1}: in-sample {iso(f['is'][0])} .. {iso(f['is'][1])},"
                 f" out-of-sample {iso(f['oos'][0])} .. {iso(f['oos'][1])}: {f['params']},"
                 f" out-of-sample return {'-' if oos is None else f'{oos:+.2f}%'}")  # fmt: skip
        eff = result.get("efficiency")
        out(f"walk-forward efficiency: {'n/a' if eff is None else f'{eff:.3f}'};"
             f" out-of-sample return {result['summary']['oos_return_pct']:+.2f}%")  # fmt: skip
    if run["status"] != "done":
        log.error("walk-forward %s %s: %s", run["id"], run["status"], run.get("error"))
        return 1
    return 0


def add_research_commands(commands) -> None:
    search = commands.add_parser(
        "search", help="search a strategy's parameters (grid or tpe) on stored candles"
    )
    search_args(search)
    search.set_defaults(handler=cmd_search)

    wf = commands.add_parser(
        "walkforward", help="walk-forward: search in sample, trade out of sample, fold by fold"
    )
    search_args(wf)
    wf.add_argument("--is-bars", type=int, help="in-sample window, in bars")
    wf.add_argument("--oos-bars", type=int, help="out-of-sample window, in bars")
    wf.add_argument("--gap", type=int, help="bars left out between them (default 0)")
    wf.add_argument(
        "--anchored", action="store_true",
        help="in-sample windows all start at the first bar (default: rolling)",
    )  # fmt: skip
    wf.set_defaults(handler=cmd_walkforward)
