"""What the backtest, search and walk-forward commands share: their options and the values read
from them (``cli.py`` holds the rest the commands share)."""

from __future__ import annotations


def params(items: list[str] | None) -> dict:
    params = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--param {item!r}: write NAME=VALUE, e.g. --param fast=10")
        params[name.strip()] = value.strip()
    return params


def weights(items: list[str] | None) -> dict | None:
    if not items:
        return None
    weights = {}
    for item in items:
        name, sep, value = item.rpartition("=")
        if not sep or not name:
            raise ValueError(f"--weight {item!r}: write SYMBOL=WEIGHT, e.g. --weight BTC/USDT=2")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--weight {item!r}: the weight must be a number") from None
    return weights


def account(args) -> dict:
    return {"cash": args.cash, "commission": args.commission, "size": args.size,
            "allow_short": not args.no_short, "trade_on_close": args.trade_on_close,
            "fractional_unit": args.fractional_unit, "spread": args.spread}  # fmt: skip


def print_stats(stats: dict, title: str, notes: dict[str, str] | None = None) -> None:
    """The statistics as a table; one that means nothing for the run (``notes``, from
    ``backtest.stats.stats_notes``) shows ``n/a`` and the reason instead of its number, as the
    Backtest tab does (``--json`` keeps the number and the reason)."""
    from cli import _out as out

    notes = notes or {}
    out(title)
    width = max(len(k) for k in stats) if stats else 0
    for key, value in stats.items():
        if key in notes:
            shown = f"n/a ({notes[key]})"
        elif isinstance(value, float):
            shown = f"{value:.6g}"
        else:
            shown = "-" if value is None else value
        out(f"{key:<{width}}  {shown}")


def strategy_args(parser, required: bool = False) -> None:
    parser.add_argument("--timeframe", default="1m")
    parser.add_argument(
        "--strategy", required=required,
        help="sma_cross, buy_and_hold, pattern, cnn, transformer, dqn",
    )  # fmt: skip
    parser.add_argument(
        "--from", dest="start", help="UTC time (default: backtest.period_hours ago)"
    )
    parser.add_argument("--to", dest="end", help="UTC time (default: the latest candle)")


def account_args(parser) -> None:
    parser.add_argument("--cash", type=float)
    parser.add_argument("--commission", type=float, help="relative, on entry and exit")
    parser.add_argument("--size", type=float, help="fraction of equity per trade")
    parser.add_argument("--fractional-unit", type=float,
                        help="smallest tradable amount (1: whole units)")  # fmt: skip
    parser.add_argument("--spread", type=float, help="relative bid-ask cost on each entry")
    parser.add_argument("--no-short", action="store_true", help="flat instead of short")
    parser.add_argument("--trade-on-close", action="store_true", help="fill at the signal's close")


def search_args(parser) -> None:
    parser.add_argument("--symbol")
    strategy_args(parser)
    parser.add_argument(
        "--param", action="append",
        help="NAME=VALUE (repeat): a range 5:50:5 (start:stop:step, stop included), a list"
        " 20,50,100 or a value",
    )  # fmt: skip
    parser.add_argument(
        "--constraint", help="e.g. 'fast < slow' (comparisons, + - * /, and, or, not)"
    )
    parser.add_argument("--maximize", help="a statistic by backtesting.py's name (default SQN)")
    parser.add_argument("--method", choices=["grid", "tpe"], default="grid")
    parser.add_argument(
        "--max-tries", type=int,
        help="grid: a random subset of this many; tpe: trials (default 100)",
    )  # fmt: skip
    parser.add_argument("--min-trades", type=int,
                        help="fewer trades score as no result (default 1)")  # fmt: skip
    parser.add_argument("--seed", type=int, help="random subset / tpe seed (default 0)")
    account_args(parser)
    parser.add_argument("--resume", metavar="ID", help="resume a cancelled or interrupted run")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
