"""Pure allocation solver: dorm units to firms (stage 1) and workers to beds (stage 2).

Plain data in, plan out: no database, no web. See allocation/README.md.
"""

from .beds import BedsError, assign_beds, parse_beds_input
from .explain import explain
from .greedy import greedy_leases
from .instance import Instance, InstanceError, load_instance, parse_instance
from .model import lp_bound, lp_moves_bound
from .plan import lease_problems, recompute_objective
from .solver import solve
from .tradeoff import tradeoff

__all__ = [
    "BedsError",
    "Instance",
    "InstanceError",
    "assign_beds",
    "explain",
    "greedy_leases",
    "lease_problems",
    "load_instance",
    "lp_bound",
    "lp_moves_bound",
    "parse_beds_input",
    "parse_instance",
    "recompute_objective",
    "solve",
    "tradeoff",
]
