"""Command line: ``python -m allocation solve INSTANCE.json [--time-limit S] [-o PLAN.json]
[--max-displaced N] [--progress]``, ``python -m allocation tradeoff INSTANCE.json [--points K]
[--time-limit S] [-o FILE] [--with-plans] [--progress]`` and
``python -m allocation beds INPUT.json [--time-limit S] [-o OUT.json]``.

Bad input exits with status 2 and one line on stderr naming the field; never a traceback.
"""

from __future__ import annotations

import time

_STARTED = time.monotonic()  # the time limit covers the whole command, imports included

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, NoReturn  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, status 2
        self.exit(2, f"usage error: {message}\n")


def _write(result: dict[str, Any], out: str | None) -> None:
    """On stdout, or only into `-o` (as ALLOCATION.md says), so a large plan is not printed twice."""
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def _fail(message: str) -> NoReturn:
    sys.stderr.write(" ".join(message.split("\n")) + "\n")
    raise SystemExit(2)


def _read_json(path: str) -> Any:
    p = Path(path)
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except json.JSONDecodeError as exc:
        _fail(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot read ({exc.__class__.__name__})")


def _print_progress(report: dict[str, Any]) -> None:
    """One line per report on stderr: seconds, level, best so far, bounds."""
    best = " ".join(f"{k}={v}" for k, v in report["best"].items())
    bound = " ".join(f"{k}>={v}" for k, v in report["bound"].items())
    point = f"point {report['point']} " if "point" in report else ""
    sys.stderr.write(f"[{report['seconds']:8.2f}s] {point}{report['level']}: {best or '-'} | bound {bound or '-'}\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m allocation", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_ in (("solve", "allocate dorm units to firms"),
                        ("tradeoff", "the shortage-versus-moves curve"),
                        ("beds", "place one firm's workers in the beds of its units")):
        p = sub.add_parser(name, help=help_)
        p.add_argument("input", help="input JSON file")
        p.add_argument("--time-limit", type=float, default=None, help="wall-clock seconds")
        p.add_argument("-o", "--output", default=None, help="write the result here instead of stdout")
        if name != "beds":
            p.add_argument("--progress", action="store_true", help="progress lines on stderr")
        if name == "solve":
            p.add_argument("--max-displaced", type=int, default=None,
                           help="moves budget (overrides the instance's max_displaced_workers)")
        if name == "tradeoff":
            p.add_argument("--points", type=int, default=5, help="points on the curve (default 5)")
            p.add_argument("--with-plans", action="store_true", help="include each point's leases")
    args = parser.parse_args(argv)
    if args.time_limit is not None and not args.time_limit > 0:
        _fail("--time-limit: must be a number > 0")
    if getattr(args, "max_displaced", None) is not None and args.max_displaced < 0:
        _fail("--max-displaced: must be a whole number >= 0")
    if getattr(args, "points", 2) < 2:
        _fail("--points: must be a whole number >= 2")

    data = _read_json(args.input)
    if args.command in ("solve", "tradeoff"):
        from .instance import InstanceError, parse_instance

        try:
            instance = parse_instance(data)
        except InstanceError as exc:
            _fail(str(exc))
        progress = _print_progress if args.progress else None
        if args.command == "solve":
            from .solver import FROM_INSTANCE, solve

            budget = FROM_INSTANCE if args.max_displaced is None else args.max_displaced
            result = solve(instance, args.time_limit, started=_STARTED, progress=progress,
                           max_displaced=budget)
        else:
            from .tradeoff import tradeoff

            result = tradeoff(instance, args.time_limit, points=args.points, progress=progress,
                              with_plans=args.with_plans, started=_STARTED)
    else:
        from .beds import BedsError, assign_beds

        try:
            result = assign_beds(data, time_limit_s=args.time_limit)
        except BedsError as exc:
            _fail(str(exc))
    try:
        _write(result, args.output)
    except OSError as exc:
        _fail(f"{args.output}: cannot write ({exc.__class__.__name__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
