"""Benchmark the allocation solver against the greedy baseline and the LP bound.

    python scripts/bench_allocation.py generate --size M --ratio 1.1 --seed 1 -o /tmp/M.json
    python scripts/bench_allocation.py run --size S --size M --ratio 0.8 --ratio 1.1 \\
        --budget none --budget 0.25 --budget 0.1 --out scripts/bench/run.json
    python scripts/bench_allocation.py mip-reference /tmp/L-1.1-1.json --seconds 900 --out scripts/bench/ref-L.json
    python scripts/bench_allocation.py moves-floor /tmp/M.json --penalty 54 --max-displaced 200 \\
        --out scripts/bench/f.json
    python scripts/bench_allocation.py table scripts/bench/*.json

``run`` generates each seeded instance, times ``python -m allocation solve`` as a subprocess
with the size's time limit (so parsing and model building count), runs the greedy baseline and
the LP relaxations (GLOP) of the penalty and of the moves at the plan's penalty, and records
one row per instance and moves budget (``--budget 0.1``: at most 10% of the residents may be
displaced; ``none``: no budget). ``mip-reference`` is the "15-minute
MIP": SCIP, single-threaded, on the plain aggregated model of the first objective only.
``moves-floor`` is the offline level-2 proof: least penalty with at most B moves; a bound
above the plan's penalty proves that more than B moves are needed there.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's allocation package, not an installed one

from allocation import (  # noqa: E402
    greedy_leases,
    lease_problems,
    lp_bound,
    lp_moves_bound,
    parse_instance,
    recompute_objective,
)

SIZES: dict[str, tuple[int, int, float]] = {  # units, firms, --time-limit
    "S": (131, 20, 5.0),
    "M": (1_000, 80, 30.0),
    "L": (5_000, 300, 75.0),
    "XL": (20_000, 1_000, 200.0),
}
BED_MIX = [(2, 0.08), (4, 0.45), (6, 0.32), (8, 0.15)]
AREA = {2: (28.0, 30.0), 4: (36.0, 38.0), 6: (48.0, 52.0), 8: (59.0, 62.0)}
RATE_CNY_PER_M2 = 5.0


def generate(size: str, ratio: float, seed: int) -> dict[str, Any]:
    """A seeded park: ~100 units per building, 10% women-only buildings, 3% units under
    repair, key firms (priority 3), building restrictions, rent budgets, and last period's
    leases with residents. Total demand = ``ratio`` x available beds."""
    n_units, n_firms, limit = SIZES[size]
    rng = random.Random(f"{size}-{ratio}-{seed}")
    n_buildings = max(2, round(n_units / 100))
    buildings = [f"B{i + 1:03d}" for i in range(n_buildings)]
    women_only = set(rng.sample(buildings, max(0, round(0.1 * n_buildings))))
    units: list[dict[str, Any]] = []
    per_building = [n_units // n_buildings + (1 if i < n_units % n_buildings else 0) for i in range(n_buildings)]
    for b, count in zip(buildings, per_building, strict=True):
        variant = rng.randrange(2)
        for k in range(count):
            beds = rng.choices([c for c, _ in BED_MIX], [w for _, w in BED_MIX])[0]
            area = AREA[beds][variant]
            units.append(
                {
                    "id": f"{b}-{k // 20 + 1}{k % 20 + 1:02d}",
                    "building": b,
                    "floor": k // 20 + 1,
                    "beds": beds,
                    "area_m2": area,
                    "monthly_rent": round(area * RATE_CNY_PER_M2, 2),
                    "gender": "female" if b in women_only else None,
                    "available": rng.random() > 0.03,
                }
            )
    supply = sum(u["beds"] for u in units if u["available"])
    weights = [rng.lognormvariate(0, 0.9) for _ in range(n_firms)]
    total = ratio * supply
    firms: list[dict[str, Any]] = []
    rent_per_bed = sum(u["monthly_rent"] for u in units) / sum(u["beds"] for u in units)
    for i, w in enumerate(weights):
        beds = max(1, round(total * w / sum(weights)))
        female = round(beds * rng.uniform(0.1, 0.7))
        firm: dict[str, Any] = {
            "id": f"F{i + 1:04d}",
            "male": beds - female,
            "female": female,
            "priority": 3 if rng.random() < 0.1 else 1,
        }
        if rng.random() < 0.3:
            firm["buildings"] = sorted(rng.sample(buildings, min(n_buildings, rng.randint(2, 5))))
        if rng.random() < 0.15:
            firm["max_monthly_rent"] = round(beds * rent_per_bed * rng.uniform(0.7, 1.2), 2)
        firms.append(firm)
    # last period: ~65% of units leased, mostly to a firm accepting the building
    current: list[dict[str, Any]] = []
    for u in units:
        if rng.random() > 0.65:
            continue
        f = rng.choice(firms)
        if "buildings" in f and u["building"] not in f["buildings"] and rng.random() < 0.9:
            continue
        gender = "female" if u["gender"] == "female" else rng.choice(["male", "female"])
        current.append(
            {
                "unit": u["id"],
                "firm": f["id"],
                "gender": gender,
                "occupied_beds": rng.randint(u["beds"] // 2, u["beds"]),
            }
        )
    return {"format": "park-allocation/1", "units": units, "firms": firms, "current": current, "time_limit_s": limit}


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(row.split()[1]) for row in Path("/proc/meminfo").read_text().splitlines() if row.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    import os

    import ortools

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "ortools": ortools.__version__,
    }


def bench_one(size: str, ratio: float, seed: int, workdir: Path, budget_frac: float | None = None) -> dict[str, Any]:
    data = generate(size, ratio, seed)
    path = workdir / f"{size}-{ratio}-{seed}.json"
    path.write_text(json.dumps(data))
    inst = parse_instance(data)
    residents = sum(c.occupied_beds for c in inst.current)
    budget = None if budget_frac is None else int(budget_frac * residents)
    limit = SIZES[size][2]
    cmd = [sys.executable, "-m", "allocation", "solve", str(path), "--time-limit", str(limit)]
    if budget is not None:
        cmd += ["--max-displaced", str(budget)]
    t = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.monotonic() - t
    if proc.returncode != 0:
        raise SystemExit(f"solver failed on {path}: {proc.stderr[-2000:]}")
    plan = json.loads(proc.stdout)
    row: dict[str, Any] = {
        "size": size,
        "ratio": ratio,
        "seed": seed,
        "units": len(inst.units),
        "firms": len(inst.firms),
        "residents": residents,
        "budget_frac": budget_frac,
        "budget": budget,
        "command": " ".join(["python", "-m", "allocation", "solve", path.name] + cmd[5:]),
        "status": plan["status"],
        "wall_s": round(wall, 2),
    }
    if plan["status"] == "infeasible":
        return {**row, "message": plan["message"]}
    problems = lease_problems(inst, plan["leases"])
    recomputed = recompute_objective(inst, plan["leases"])
    g0 = time.monotonic()
    greedy = recompute_objective(inst, greedy_leases(inst))
    greedy_s = time.monotonic() - g0
    l0 = time.monotonic()
    lp = lp_bound(inst, max_displaced=budget)
    lp_s = time.monotonic() - l0
    pen = plan["objective"]["shortfall_penalty"]
    moves = plan["objective"]["displaced_workers"]
    lp_moves = lp_moves_bound(inst, pen, max_displaced=budget)
    mip_bound = plan["bound"]["shortfall_penalty"]
    bound = max(math.ceil(lp - 1e-6), mip_bound)
    moves_bound = max(math.ceil(lp_moves - 1e-6), plan["bound"].get("displaced_workers", 0))
    greedy_fits = budget is None or greedy["displaced_workers"] <= budget
    return {
        **row,
        "supply_beds": sum(u.beds for u in inst.units if u.available),
        "demand_beds": sum(sum(f.demand.values()) for f in inst.firms),
        "valid": not problems and (budget is None or moves <= budget),
        "objective_matches": recomputed == plan["objective"],
        "penalty": pen,
        "greedy_penalty": greedy["shortfall_penalty"],
        "greedy_fits_budget": greedy_fits,
        "lp_bound": round(lp, 3),
        "mip_bound": mip_bound,
        "bound": bound,
        "gap_pct": 0.0 if pen == bound else round(100 * (pen - bound) / max(bound, 1), 3),
        "displaced": moves,
        "greedy_displaced": greedy["displaced_workers"],
        "lp_moves_bound": round(lp_moves, 3),
        "moves_bound": moves_bound,
        "moves_ratio_lp": round(moves / max(1.0, lp_moves), 3) if math.isfinite(lp_moves) else None,
        "moves_ratio_bound": round(moves / max(1, moves_bound), 3),
        "firm_buildings": plan["objective"]["firm_buildings"],
        "greedy_firm_buildings": greedy["firm_buildings"],
        "empty_beds": plan["objective"]["empty_beds"],
        "greedy_empty_beds": greedy["empty_beds"],
        "solve_seconds": plan["solve_seconds"],
        "greedy_s": round(greedy_s, 2),
        "lp_s": round(lp_s, 2),
        "model": plan.get("solver", {}).get("model"),
        "source": plan.get("solver", {}).get("source"),
        "levels": plan.get("solver", {}).get("levels"),
    }


def mip_reference(path: Path, seconds: float, budget: int | None = None, cuts: bool = False) -> dict[str, Any]:
    """SCIP alone on the aggregated model of the first objective, for ``seconds`` (under the
    moves budget ``budget``, if any: the reference of a budgeted row; with ``cuts``, the
    solver's valid firm-alone rows added first, ``allocation.model.add_firm_cuts``)."""
    from ortools.linear_solver import pywraplp

    from allocation.model import add_firm_cuts, build_model, prepare, set_level_objective

    inst = parse_instance(json.loads(path.read_text()))
    t = time.monotonic()
    prep = prepare(inst)
    model = build_model(inst, prep, compact=True, levels=1, max_displaced=budget)
    if cuts:
        add_firm_cuts(inst, prep, model, math.inf)
    set_level_objective(model, "shortfall_penalty")
    model.solver.SetTimeLimit(int(seconds * 1000))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    status = model.solver.Solve(params)
    has = status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
    flag = ("" if budget is None else f" --max-displaced {budget}") + (" --firm-cuts" if cuts else "")
    return {
        "instance": path.name,
        "max_displaced": budget,
        "firm_cuts": cuts,
        "seconds": seconds,
        "wall_s": round(time.monotonic() - t, 1),
        "status": status,
        "value": round(model.solver.Objective().Value(), 3) if has else None,
        "bound": round(model.solver.Objective().BestBound(), 3),
        "command": f"python scripts/bench_allocation.py mip-reference {path.name}{flag} --seconds {seconds:g}",
    }


def moves_floor(path: Path, penalty: int, budget: int, seconds: float) -> dict[str, Any]:
    """The offline level-2 proof: SCIP (single thread) on "least penalty with at most
    ``budget`` moves". A finished solve whose optimum is above ``penalty`` proves that every plan with penalty <=
    ``penalty`` displaces at least ``budget`` + 1 residents; a plan reaching ``penalty`` shows
    that ``budget`` moves suffice. Otherwise nothing is settled."""
    from ortools.linear_solver import pywraplp

    from allocation.model import build_model, level_value, prepare, set_level_objective

    inst = parse_instance(json.loads(path.read_text()))
    t = time.monotonic()
    model = build_model(inst, prepare(inst), compact=True, levels=2, max_displaced=budget)
    set_level_objective(model, "shortfall_penalty")
    model.solver.SetTimeLimit(int(seconds * 1000))
    params = pywraplp.MPSolverParameters()
    params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
    status = model.solver.Solve(params)
    bound = model.solver.Objective().BestBound()
    found = None
    if status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        vals = [v.solution_value() for v in model.all_vars]
        found = {
            "shortfall_penalty": level_value(model, "shortfall_penalty", vals),
            "displaced_workers": level_value(model, "displaced_workers", vals),
        }
    # only a finished solve proves anything (a time-limited solve's bound once gave a wrong XL floor)
    proven = status == pywraplp.Solver.INFEASIBLE or (status == pywraplp.Solver.OPTIMAL and bound > penalty + 1e-6)
    reached = found is not None and found["shortfall_penalty"] <= penalty
    verdict = (
        f"proof: at penalty <= {penalty} at least {budget + 1} moves"
        if proven
        else f"{budget} moves suffice at penalty {penalty}"
        if reached
        else "nothing settled"
    )
    return {
        "instance": path.name,
        "penalty": penalty,
        "max_displaced": budget,
        "seconds": seconds,
        "wall_s": round(time.monotonic() - t, 1),
        "status": status,
        "bound": round(bound, 3),
        "found": found,
        "verdict": verdict,
        "command": (
            f"python scripts/bench_allocation.py moves-floor {path.name} --penalty {penalty} "
            f"--max-displaced {budget} --seconds {seconds:g}"
        ),
    }


def table(rows: list[dict[str, Any]], refs: dict[tuple[str, int | None], dict[str, Any]]) -> str:
    """The README's benchmark table. ``refs``: long offline SCIP runs (``mip-reference``) by
    (instance, moves budget); a row's bound is the better of its own and its reference's
    (a budgeted row only takes a reference run under the same budget)."""
    head = (
        "| size | ratio | budget | units / firms / residents | status | penalty (greedy) | bound | gap % "
        "| 15-min MIP value / bound | moves (greedy) | LP moves bound | moves / LP | proven moves floor "
        "| moves target (1.5× LP / 10%) | firm-bldg pairs | empty beds | wall s |"
    )
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    sizes = list(SIZES)
    rows = sorted(rows, key=lambda r: (sizes.index(r["size"]), r["ratio"], -(r.get("budget_frac") or 1.0)))
    for r in rows:
        budget = "–" if r.get("budget") is None else f"{int(100 * r['budget_frac'])}% = {r['budget']}"
        lead = f"| {r['size']} | {r['ratio']} | {budget} | {r['units']} / {r['firms']} / {r.get('residents', '?')} "
        if r["status"] == "infeasible":
            out.append(lead + f"| infeasible: {r['message']} |" + " |" * 12)
            continue
        name = f"{r['size']}-{r['ratio']}-{r['seed']}.json"
        ref = refs.get((name, r.get("budget")))
        bound = r["bound"]
        refcol = "–"
        if ref:
            value = "–" if ref["value"] is None else f"{ref['value']:g}"
            refcol = f"{value} / {ref['bound']:g}" + ("" if r.get("budget") is None else " (same budget)")
            bound = max(bound, math.ceil(ref["bound"] - 1e-6))
        gap = 0.0 if r["penalty"] == bound else 100 * (r["penalty"] - bound) / max(bound, 1)
        greedy = f"{r['greedy_penalty']}" + ("" if r.get("greedy_fits_budget", True) else ", over budget")
        out.append(
            lead + f"| {r['status']} | {r['penalty']} ({greedy}) | {bound} | {gap:.2f} | {refcol} "
            f"| {r['displaced']} ({r['greedy_displaced']}) | {r.get('lp_moves_bound', '–')} "
            f"| {r.get('moves_ratio_lp', '–')} | {r.get('moves_bound', '–')} | {moves_target(r)} "
            f"| {r['firm_buildings']} | {r['empty_beds']} | {r['wall_s']} |"
        )
    return "\n".join(out)


def moves_target(r: dict[str, Any]) -> str:
    """Issue 9's level-2 target for a row: moves within 1.5x the LP bound at the plan's penalty
    (or that proven out of reach: a proven floor above it), and within 10% of the proven
    fewest where that is known (the plan's moves equal their proven floor)."""
    lp = r.get("lp_moves_bound")
    if lp is None or not math.isfinite(lp):
        return "–"
    cap = math.floor(1.5 * lp + 1e-9)
    moves, floor = r["displaced"], r.get("moves_bound", 0)
    if floor >= moves:
        return f"met: proven fewest {moves}" + ("" if moves <= cap else f" (> 1.5×LP = {cap}: out of reach)")
    if moves <= cap:
        return f"met: <= {cap}"
    if floor > cap:
        return f"out of reach: floor {floor} > {cap} (proven)"
    return f"**not met**: needs <= {cap}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--size", choices=SIZES, required=True)
    g.add_argument("--ratio", type=float, default=1.1)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("-o", "--output", required=True)
    r = sub.add_parser("run")
    r.add_argument("--size", choices=SIZES, action="append", required=True)
    r.add_argument("--ratio", type=float, action="append")
    r.add_argument("--seed", type=int, default=1)
    r.add_argument(
        "--budget",
        action="append",
        default=None,
        help="moves budget as a fraction of residents, or 'none' (repeatable; default none)",
    )
    r.add_argument("--workdir", default="/tmp/bench-allocation")
    r.add_argument("--out", required=True)
    m = sub.add_parser("mip-reference")
    m.add_argument("instance")
    m.add_argument("--seconds", type=float, default=900.0)
    m.add_argument("--max-displaced", type=int, default=None, help="moves budget (a budgeted row's reference)")
    m.add_argument("--firm-cuts", action="store_true", help="add the solver's firm-alone cuts first")
    m.add_argument("--out", required=True)
    f = sub.add_parser("moves-floor")
    f.add_argument("instance")
    f.add_argument("--penalty", type=int, required=True)
    f.add_argument("--max-displaced", type=int, required=True)
    f.add_argument("--seconds", type=float, default=600.0)
    f.add_argument("--out", required=True)
    t = sub.add_parser("table")
    t.add_argument("files", nargs="+")
    args = ap.parse_args()

    if args.cmd == "generate":
        Path(args.output).write_text(json.dumps(generate(args.size, args.ratio, args.seed)))
    elif args.cmd == "run":
        work = Path(args.workdir)
        work.mkdir(parents=True, exist_ok=True)
        out = Path(args.out)
        result: dict[str, Any] = {"machine": machine(), "rows": []}
        budgets = [None if b == "none" else float(b) for b in (args.budget or ["none"])]
        for size in args.size:
            for ratio in args.ratio or [1.1]:
                for frac in budgets:
                    row = bench_one(size, ratio, args.seed, work, frac)
                    result["rows"].append(row)
                    print(json.dumps({k: v for k, v in row.items() if k != "levels"}), flush=True)
                    out.write_text(json.dumps(result, indent=1))
    elif args.cmd == "moves-floor":
        res = moves_floor(Path(args.instance), args.penalty, args.max_displaced, args.seconds)
        res["machine"] = machine()
        Path(args.out).write_text(json.dumps(res, indent=1))
        print(json.dumps(res))
    elif args.cmd == "mip-reference":
        res = mip_reference(Path(args.instance), args.seconds, args.max_displaced, args.firm_cuts)
        res["machine"] = machine()
        Path(args.out).write_text(json.dumps(res, indent=1))
        print(json.dumps(res))
    else:
        rows: list[dict[str, Any]] = []
        refs: dict[tuple[str, int | None], dict[str, Any]] = {}
        for f in args.files:
            d = json.loads(Path(f).read_text())
            if "rows" in d:
                rows += d["rows"]
            elif "verdict" not in d:  # moves-floor runs are quoted in the README, not tabled
                refs[d["instance"], d.get("max_displaced")] = d
        print(table(rows, refs))


if __name__ == "__main__":
    main()
