"""Command-line interface of ``python app.py``: serving, and the jobs the dashboard runs.

Each command prints a short result; a bad argument or file ends with a message that says what is
wrong and where, and exit status 2. Commands work on the same ``data/`` as the dashboard (SQLite
in WAL mode, so the dashboard may be running meanwhile).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cli_args import account as _account
from cli_args import account_args, strategy_args
from cli_args import params as _params
from cli_args import print_stats as _print_stats
from cli_args import weights as _weights
from cli_research import add_research_commands

log = logging.getLogger("tradedash.cli")


def _orchestrator(args):
    from runtime.config import load_config
    from runtime.orchestrator import Orchestrator

    return Orchestrator(load_config(args.config))


def _time(text: str | None) -> int | None:
    from core.timefmt import parse_time

    return None if text is None else parse_time(text, "time")


def _login_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (some containers)
        return ""


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def cmd_autolabel(args) -> int:
    from labels.pending_labels import autolabel_series

    orch = _orchestrator(args)

    def progress(fraction, stage):
        log.info("%3.0f%% %s", fraction * 100, stage)

    result = autolabel_series(
        orch.store, orch.annotations, args.symbol, args.timeframe, _time(args.start),
        _time(args.end), args.patterns or None, progress,
    )  # fmt: skip
    _out(
        f"{result['found']} pattern spans found in {result['candles']} candles of "
        f"{args.symbol} {args.timeframe}; {result['added']} new, pending review"
    )
    return 0


def cmd_review(args) -> int:
    orch = _orchestrator(args)
    spans = orch.annotations.list(
        symbol=args.symbol, timeframe=args.timeframe, source=args.source, label=args.label,
        status=args.status,
    )  # fmt: skip
    status = "accepted" if args.accept else "rejected"
    count = orch.annotations.set_status(
        [s.id for s in spans], status, label=args.relabel, reviewed_by=args.user
    )
    orch.audit.record(args.user, f"bulk {status}", f"{count} spans (command line)")
    _out(
        f"{count} spans marked {status}"
        + (f" and relabelled {args.relabel}" if args.relabel else "")
    )
    return 0


def cmd_export(args) -> int:
    from labels.annotation_files import export_spans

    orch = _orchestrator(args)
    known = orch.symbols()
    if args.symbol is not None and args.symbol not in known:
        # An empty file would pass for "no spans yet": a mistyped symbol is an error (exit 2).
        raise ValueError(
            f"unknown symbol {args.symbol!r}: the known symbols are {', '.join(known)}"
        )
    spans = orch.annotations.list(symbol=args.symbol, status=args.status, source=args.source)
    path = export_spans(spans, args.file)
    _out(f"{len(spans)} spans written to {path}")
    return 0


def cmd_import(args) -> int:
    from labels.annotation_files import read_spans

    orch = _orchestrator(args)
    spans = read_spans(args.file)
    added = orch.annotations.add_many(spans)
    _out(
        f"{len(spans)} spans read from {args.file}; {added} new, {len(spans) - added} already there"
    )
    return 0


def cmd_from_model(args) -> int:
    from serving.model_spans import model_spans_to_review

    orch = _orchestrator(args)
    result = model_spans_to_review(
        orch.live_patterns,
        orch.annotations,
        args.symbol,
        args.timeframe,
        _time(args.start),
        args.min_confidence,
    )
    _out(f"{result['found']} model spans found; {result['added']} new, pending review")
    return 0


def cmd_candles_import(args) -> int:

    orch = _orchestrator(args)
    count = orch.import_candles(args.file, args.symbol, args.timeframe)
    _out(f"{count} {args.timeframe} candles imported for {args.symbol}")
    return 0


def cmd_dataset_build(args) -> int:
    from training.dataset_from_store import build_from_store

    orch = _orchestrator(args)
    info = build_from_store(orch, args.symbols, args.timeframes, args.encoding)
    _out(f"dataset {info.version}: {info.rows} rows, labels {info.label_counts} -> {info.path}")
    return 0


def cmd_train(args) -> int:
    from runtime.training_jobs import JobHooks, result_summary, train_now

    orch = _orchestrator(args)
    model = args.model or orch.config.training.default_model
    if model in NEURAL_MODELS:
        return cmd_train_neural(orch, model, args)
    state = {"stage": "starting"}

    def report(fraction, stage):
        if stage:
            state["stage"] = stage
            _out(f"[{model}] {stage}")
        elif fraction is not None:
            log.debug("[%s] %s %3.0f%%", model, state["stage"], fraction * 100)

    result = result_summary(train_now(orch, model, args.dataset, JobHooks(report, lambda: False)))
    decision = result["champion"]
    _out(
        f"run {result['run_id']}: {model} version {result['model_version']} on dataset "
        f"{result['dataset_version']}; validation macro-F1 {result['val_macro_f1']:.3f}, "
        f"test macro-F1 {result['test_macro_f1']:.3f}"
    )
    _out(
        f"champion: {'moved to this version' if decision['promoted'] else 'unchanged'}"
        f" ({decision['reason']})"
    )
    for label, support in (result["rare_classes"] or {}).items():
        _out(f"warning: class {label!r} has only {support} training examples (too rare to learn)")
    return 0


NEURAL_MODELS = ("cnn", "transformer", "dqn")


def cmd_train_neural(orch, kind: str, args) -> int:
    from runtime.neural_jobs import NeuralJobHooks, train_kind

    symbols = [args.symbol] if args.symbol else None
    if args.symbol and args.symbol not in orch.symbols():
        raise ValueError(f"unknown symbol {args.symbol!r}; known: {', '.join(orch.symbols())}")
    hooks = NeuralJobHooks(orch, kind, None, report=lambda stage: _out(f"[{kind}] {stage}"))
    result = train_kind(
        orch, kind, symbols, args.timeframe, _time(args.start), _time(args.end), hooks=hooks
    )
    val = result.evaluation["val"]
    _out(
        f"run {result.run_id}: {result.registered_model} version {result.model_version}, "
        f"{result.rows['train']} training windows"
    )
    if kind == "dqn":
        _out(
            f"validation return {val['return']:+.4%} vs buy-and-hold "
            f"{val['buy_and_hold_return']:+.4%} and flat 0 (after fees); {val['trades']} trades;"
            f" actions "
            + ", ".join(f"{a} {s:.0%}" for a, s in val["actions"].items())
            + (" (degenerate: one action > 95 %)" if val["degenerate"] else "")
        )
    else:
        _out(
            f"validation direction accuracy {val['accuracy']:.3f} vs majority class "
            f"'{val['majority_class']}' {val['majority_accuracy']:.3f} and chance 0.5; "
            f"MAE {val['mae']:.6g} vs last-price {val['naive_mae']:.6g} "
            f"(skill {val['mae_skill']:+.3f})"
        )
    decision = result.champion
    _out(
        f"champion: {'moved to this version' if decision.promoted else 'unchanged'}"
        f" ({decision.reason})"
    )
    return 0


def cmd_predictions_export(args) -> int:
    from predictions.export import check_format, export_frame, select, write_export
    from predictions.queries import PredictionFilter

    check_format(args.file)
    orch = _orchestrator(args)
    flt = PredictionFilter(sources=tuple(args.source) if args.source else None)
    rows = select(orch.db, args.symbol, tuple(args.kind or ()) or None, _time(args.start),
                  _time(args.end), flt)  # fmt: skip
    path = write_export(export_frame(rows), args.file)
    resolved = sum(1 for p in rows if p.get("resolved_at") is not None)
    _out(f"{len(rows)} predictions ({resolved} resolved) written to {path}")
    return 0


def cmd_backtest(args) -> int:
    import json

    from backtest.request import parse_request

    orch = _orchestrator(args)
    params = _params(args.param)
    symbols = args.symbol
    body = {"timeframe": args.timeframe, "strategy": args.strategy, "params": params,
            "start": args.start, "end": args.end, **_account(args)}  # fmt: skip
    if len(symbols) > 1 or args.weight:
        body.update(symbols=symbols, weights=_weights(args.weight))
    else:
        body["symbol"] = symbols[0]
    # a RequestError (a ValueError) names the field; app.main prints it and exits 2
    request = parse_request({k: v for k, v in body.items() if v is not None}, orch)
    run = orch.backtests.run_now(request, lambda f, stage: log.debug("%3.0f%% %s", f * 100, stage))
    if args.json:
        keys = ("id", "status", "error", "params", "in_sample", "model", "stats", "stats_notes",
                "trades")  # fmt: skip
        out = {k: run.get(k) for k in keys}
        if request.is_portfolio:
            portfolio = run.get("portfolio") or {}
            out["portfolio"] = {"stats": portfolio.get("stats"), "equity": portfolio.get("equity"),
                                "stats_notes": portfolio.get("stats_notes")}  # fmt: skip
            out["symbols"] = {
                s: {"stats": sub["stats"], "trades": sub["trades"], "share": sub["share"],
                    "contribution_pct": sub["contribution_pct"]}
                for s, sub in (run.get("symbols") or {}).items()
            }  # fmt: skip
        _out(json.dumps(out, indent=2))
    elif run["status"] == "done":
        _print_stats(run["stats"], f"backtest {run['id']}: {request.strategy} {params or ''} on"
                                   f" {', '.join(request.symbols or (request.symbol,))}"
                                   f" {request.timeframe}", run.get("stats_notes"))  # fmt: skip
        if run["in_sample"]:
            overlap = run["in_sample"]
            _out(f"warning: in-sample: the model was trained on data from {_iso(overlap['start'])}"
                 f" to {_iso(overlap['end'])} of this period")  # fmt: skip
    if run["status"] != "done":
        log.error("backtest %s %s: %s", run["id"], run["status"], run.get("error"))
        return 1
    return 0


def _iso(ms: int) -> str:
    from core.timefmt import format_ms

    return format_ms(ms)


def cmd_db_copy(args) -> int:
    from runtime.backup import copy_between
    from runtime.config import load_config

    here = load_config(args.config).storage_url
    source, target = (here, args.to) if args.to else (args.source, here)
    reports = copy_between(source, target)
    for report in reports:
        _out(f"{report.table:<24} {report.rows:>10} rows  checksum {report.checksum[:16]}  ok")
    _out(f"copied {len(reports)} tables, {sum(r.rows for r in reports)} rows; counts and "
         "checksums match")  # fmt: skip
    return 0


def cmd_db_backup(args) -> int:
    from runtime.backup import backup
    from runtime.config import load_config

    manifest = backup(load_config(args.config), args.file)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    extra = [name for name in ("datasets", "mlflow") if manifest[name]]
    _out(f"backup written to {args.file}: {len(manifest['tables'])} tables, {rows} rows"
         + (f", {' and '.join(extra)}" if extra else ""))  # fmt: skip
    return 0


def cmd_db_restore(args) -> int:
    from runtime.backup import restore
    from runtime.config import load_config

    result = restore(load_config(args.config), args.file)
    rows = sum(r.rows for r in result["copied"])
    _out(f"restored {args.file}: {len(result['copied'])} tables, {rows} rows; counts and "
         "checksums match")  # fmt: skip
    return 0


def build_parser(serve) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py", description="TradeDash: live charts, annotation and training."
    )
    parser.add_argument("--config", help="config file (default: config.yaml beside app.py)")
    parser.add_argument("--host", help="address to bind (default from config: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default from config: 8050)")
    parser.set_defaults(handler=serve)
    commands = parser.add_subparsers(dest="command", title="commands")

    auto = commands.add_parser("autolabel", help="find TA-Lib CDL patterns, add pending spans")
    auto.add_argument("--symbol", required=True)
    auto.add_argument("--timeframe", default="1m")
    auto.add_argument("--from", dest="start", help="UTC time, e.g. '2026-01-31 14:00'")
    auto.add_argument("--to", dest="end", help="UTC time")
    auto.add_argument("--patterns", nargs="*", help="CDL function names (default: all 61)")
    auto.set_defaults(handler=cmd_autolabel)

    ann = commands.add_parser("annotations", help="review, export or import spans")
    ann_commands = ann.add_subparsers(dest="annotations_command", required=True)
    review = ann_commands.add_parser("review", help="accept or reject spans in bulk")
    verdict = review.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--accept", action="store_true")
    verdict.add_argument("--reject", action="store_true")
    review.add_argument("--symbol")
    review.add_argument("--timeframe")
    review.add_argument("--source", choices=["human", "talib", "model"])
    review.add_argument("--label")
    review.add_argument("--status", default="pending", help="which spans (default: pending)")
    review.add_argument("--relabel", help="give the reviewed spans this label")
    review.add_argument(
        "--user",
        default=_login_name(),
        help="who reviews (recorded as reviewed_by; default: the login name)",
    )
    review.set_defaults(handler=cmd_review)
    export = ann_commands.add_parser("export", help="write spans to FILE (.json or .csv)")
    export.add_argument("file")
    export.add_argument("--symbol")
    export.add_argument("--status")
    export.add_argument("--source")
    export.set_defaults(handler=cmd_export)
    imp = ann_commands.add_parser("import", help="read spans from FILE (.json or .csv)")
    imp.add_argument("file")
    imp.set_defaults(handler=cmd_import)
    model = ann_commands.add_parser(
        "from-model", help="send the champion's predicted spans to review (active learning)"
    )
    model.add_argument("--symbol", required=True)
    model.add_argument("--timeframe", default="1m")
    model.add_argument("--from", dest="start", help="UTC time (default: all labelled candles)")
    model.add_argument("--min-confidence", type=float, default=0.0)
    model.set_defaults(handler=cmd_from_model)

    candles = commands.add_parser("candles", help="candle history")
    candle_commands = candles.add_subparsers(dest="candles_command", required=True)
    cimp = candle_commands.add_parser("import", help="import a CSV/Parquet OHLCV file")
    cimp.add_argument("file")
    cimp.add_argument("--symbol", required=True, help="name it appears under in the selector")
    cimp.add_argument("--timeframe", required=True, help="1s, 1m, 5m, 1h, 1d ...")
    cimp.set_defaults(handler=cmd_candles_import)

    dataset = commands.add_parser("dataset", help="training datasets")
    dataset_commands = dataset.add_subparsers(dest="dataset_command", required=True)
    build = dataset_commands.add_parser("build", help="build a dataset from accepted spans")
    build.add_argument("--symbols", nargs="*")
    build.add_argument("--timeframes", nargs="*")
    build.add_argument("--encoding", choices=["windowed", "bio"], default="windowed")
    build.set_defaults(handler=cmd_dataset_build)

    train = commands.add_parser(
        "train", help="train a pattern classifier or a neural model, log it to MLflow"
    )
    train.add_argument(
        "--model",
        choices=["xgboost", "random_forest", *NEURAL_MODELS],
        help="model type (default: training.default_model)",
    )
    train.add_argument("--dataset", help="pattern models: dataset version (default: the newest)")
    train.add_argument("--symbol", help="neural models: one symbol (default: every live symbol)")
    train.add_argument("--timeframe", help="neural models: candles (default: neural.timeframe)")
    train.add_argument("--from", dest="start", help="neural models: UTC start of the history")
    train.add_argument("--to", dest="end", help="neural models: UTC end of the history")
    train.set_defaults(handler=cmd_train)

    preds = commands.add_parser("predictions", help="stored model predictions and outcomes")
    pred_commands = preds.add_subparsers(dest="predictions_command", required=True)
    pexp = pred_commands.add_parser("export", help="write predictions to FILE (.csv or .parquet)")
    pexp.add_argument("file")
    pexp.add_argument("--symbol")
    pexp.add_argument("--kind", action="append", choices=["dqn", "cnn", "transformer"])
    pexp.add_argument("--source", action="append", choices=["live", "backtest", "training"])
    pexp.add_argument("--from", dest="start", help="UTC time of the first prediction")
    pexp.add_argument("--to", dest="end", help="UTC time (exclusive)")
    pexp.set_defaults(handler=cmd_predictions_export)

    bt = commands.add_parser("backtest", help="backtest a strategy on stored candles")
    bt.add_argument(
        "--symbol", required=True, action="append",
        help="repeat for a portfolio: each symbol a sub-account with its cash share",
    )  # fmt: skip
    bt.add_argument(
        "--weight", action="append",
        help="portfolio: SYMBOL=WEIGHT (default: equal shares; normalised)",
    )  # fmt: skip
    strategy_args(bt, required=True)
    bt.add_argument("--param", action="append", help="strategy parameter NAME=VALUE (repeat)")
    account_args(bt)
    bt.add_argument("--json", action="store_true", help="print the run as JSON")
    bt.set_defaults(handler=cmd_backtest)

    add_research_commands(commands)

    db = commands.add_parser("db", help="copy the database to another backend, back up, restore")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    copy = db_commands.add_parser(
        "copy", help="copy every table to (--to) or from (--from) another, empty database"
    )
    way = copy.add_mutually_exclusive_group(required=True)
    way.add_argument("--to", help="target URL, e.g. postgresql://app@db:5432/tradedash")
    way.add_argument("--from", dest="source", help="source URL, e.g. sqlite:///old/tradedash.db")
    copy.set_defaults(handler=cmd_db_copy)
    back = db_commands.add_parser("backup", help="write a consistent backup to FILE (.tar.gz)")
    back.add_argument("file", type=Path)
    back.set_defaults(handler=cmd_db_backup)
    rest = db_commands.add_parser("restore", help="restore FILE into an empty database")
    rest.add_argument("file", type=Path)
    rest.set_defaults(handler=cmd_db_restore)
    return parser
