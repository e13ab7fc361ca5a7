"""One-unit moves that lower the shortfall penalty: a local search on SCIP's first level.

On large parks SCIP's plan can leave a unit with a firm that has beds to spare while another
firm that could use it is short (seen on the 5,000-unit park: a 2-bed unit whose holder had 3
beds too many, while a firm was 6 short). The explanation of a plan reports exactly such moves
("moving it would cost its holder 0 to gain 2"); this module makes them before the plan is
written: repeatedly give a unit (free, or taken from the holder who loses least) to the short
(firm, gender) it helps most, while the gain exceeds the loss. Counts stay within capacity,
buildings, gender rules and budgets, so the result is valid.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

from .instance import Instance
from .model import Key, Prep
from .plan import short_penalty


def improve_by_moves(instance: Instance, prep: Prep, counts: dict[Key, int],
                     deadline: float) -> dict[Key, int]:
    types = prep.types
    out = {k: n for k, n in counts.items() if n > 0}
    firm = instance.firm_by_id
    granted: dict[tuple[str, str], int] = defaultdict(int)
    rent: dict[str, int] = defaultdict(int)
    free = [len(t.units) for t in types]
    holders: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for (ti, fid, s), n in out.items():
        granted[fid, s] += n * types[ti].beds
        rent[fid] += n * types[ti].rent_fen
        free[ti] -= n
        holders[ti][fid, s] = n

    def penalty(fid: str, s: str, beds: int) -> int:
        f = firm[fid]
        return f.priority * short_penalty(f.demand[s], max(0, f.demand[s] - beds))

    def loss(fid: str, s: str, beds: int) -> int:
        return penalty(fid, s, granted[fid, s] - beds) - penalty(fid, s, granted[fid, s])

    def cheapest(ti: int) -> tuple[int, tuple[str, str] | None]:
        if free[ti] > 0:
            return 0, None
        best: tuple[int, tuple[str, str] | None] = (math.inf, None)  # type: ignore[assignment]
        for fs, n in holders[ti].items():
            if n > 0:
                lost = loss(fs[0], fs[1], types[ti].beds)
                if lost < best[0]:
                    best = (lost, fs)
        return best

    def move(ti: int, src: tuple[str, str] | None, dst: tuple[str, str]) -> None:
        t = types[ti]
        if src is None:
            free[ti] -= 1
        else:
            out[(ti, *src)] -= 1
            holders[ti][src] -= 1
            granted[src] -= t.beds
            rent[src[0]] -= t.rent_fen
            if not out[(ti, *src)]:
                del out[(ti, *src)]
        out[(ti, *dst)] = out.get((ti, *dst), 0) + 1
        holders[ti][dst] = holders[ti].get(dst, 0) + 1
        granted[dst] += t.beds
        rent[dst[0]] += t.rent_fen

    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        cache: dict[int, tuple[int, tuple[str, str] | None]] = {}
        for (fid, s), opts in prep.options.items():
            if time.monotonic() >= deadline:
                break
            f = firm[fid]
            if granted[fid, s] >= f.demand[s]:
                continue
            left = math.inf if f.budget_fen is None else f.budget_fen - rent[fid]
            now = penalty(fid, s, granted[fid, s])
            best: tuple[int, int, tuple[str, str] | None] | None = None  # (net, type, source)
            for ti in opts:
                t = types[ti]
                if t.rent_fen > left:
                    continue
                gain = now - penalty(fid, s, granted[fid, s] + t.beds)
                if gain <= 0:
                    continue
                if ti not in cache:
                    cache[ti] = cheapest(ti)
                lost, src = cache[ti]
                if src == (fid, s):
                    continue
                if gain - lost > 0 and (best is None or gain - lost > best[0]):
                    best = (gain - lost, ti, src)
            if best is not None:
                _, ti, src = best
                move(ti, src, (fid, s))
                cache.clear()  # losses of the two firms involved changed everywhere
                improved = True
    return out
