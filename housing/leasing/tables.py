"""The housing cycle's tables: allocation periods, headcount requests, leases, bed assignments.

What must never happen twice is the database's job (constraints made in the migrations, on
both engines): one headcount request per firm and period; two leases of one unit never
overlap in time; one occupant per bed and one bed per worker at a time. History is kept:
a lease or a bed assignment ends (`ends_on`), it is not deleted.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from housing.register.tables import Firm, Unit, Worker


class Period(Table):
    """An allocation period (usually a quarter). Requests are accepted through the park day
    `request_deadline`; `allocated_run_id` is set when a run of the period is applied."""

    id: Serial
    name = Varchar(length=50, unique=True)
    starts_on = Date()
    ends_on = Date()
    request_deadline = Date()
    allocated_run_id = Integer(null=True, default=None)
    created_at = Timestamptz()


class HeadcountRequest(Table):
    """How many beds a firm needs in a period, by gender, with its limits."""

    id: Serial
    period_id = ForeignKey(references=Period, on_delete=OnDelete.restrict, null=False, index=True)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)
    male_beds = Integer()
    female_beds = Integer()
    building_ids = JSON(null=True, default=None)  # the only buildings the firm accepts; null: any
    max_monthly_rent_fen = Integer(null=True, default=None)
    priority = Integer(null=True, default=None)  # staff's override; null: from the firm (key firm 3, else 1)
    note = Varchar(length=500, default="")
    updated_at = Timestamptz()


class Lease(Table):
    """A whole unit leased to one firm for one gender, from `starts_on` to `ends_on` (inclusive;
    null: open-ended), at a rent rate fixed when the lease was made."""

    id: Serial
    unit_id = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=False, index=True)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)
    gender = Varchar(length=6)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    rent_rate_fen_per_m2 = Integer()
    run_id = Integer(null=True, default=None)  # the allocation run that made it; null: by hand
    created_at = Timestamptz()


class BedAssignment(Table):
    """A worker in bed `bed` (1..beds) of a unit, from `starts_on`; `ends_on` set when they move
    out or to another bed (null: sleeping there now)."""

    id: Serial
    lease_id = ForeignKey(references=Lease, on_delete=OnDelete.restrict, null=False, index=True)
    unit_id = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=False)
    bed = Integer()
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=False)
    starts_on = Date()
    ends_on = Date(null=True, default=None)
    created_at = Timestamptz()


class AllocationRun(Table):
    """One solver run for a period: the snapshot of its inputs (a `park-allocation/1` instance),
    the job that solves it, and — once applied or superseded — its fate. Its live status is the
    job's (queued, running, done, failed) until then."""

    id: Serial
    period_id = ForeignKey(references=Period, on_delete=OnDelete.restrict, null=False, index=True)
    job_id = Integer(index=True)
    fate = Varchar(length=12, default="")  # "" | applying | applied | superseded
    time_limit_s = Integer()
    max_displaced_workers = Integer(null=True, default=None)
    # A trade-off run computes this many points from the fewest moves to the unconstrained plan
    # (null: one plan); staff choose one (`chosen_point`) and that plan is what apply applies.
    tradeoff_points = Integer(null=True, default=None)
    chosen_point = Integer(null=True, default=None)
    instance = JSON()
    unit_ids = JSON()  # instance unit code → unit id
    inputs_digest = Varchar(length=64)
    created_at = Timestamptz()
    applied_at = Timestamptz(null=True, default=None)


class Move(Table):
    """A resident of a unit its firm is releasing: they must leave their bed by `deadline`."""

    id: Serial
    run_id = ForeignKey(references=AllocationRun, on_delete=OnDelete.restrict, null=False, index=True)
    worker_id = ForeignKey(references=Worker, on_delete=OnDelete.restrict, null=False, index=True)
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)
    bed_assignment_id = ForeignKey(references=BedAssignment, on_delete=OnDelete.restrict, null=False)
    unit_id = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=False)
    bed = Integer()
    deadline = Date()
    status = Varchar(length=8, default="pending")  # pending | done
    created_at = Timestamptz()


class BedProposal(Table):
    """The second-stage solver's proposal for one firm's beds from park day `starts_on`: who keeps
    their bed, who gets a new one, who is left without. HR confirms it as made, or not at all:
    `inputs_digest` is the firm's beds and workers when it was made, and a confirm whose inputs
    changed is refused. Confirming makes the bed assignments; `status` proposed → confirmed."""

    id: Serial
    firm_id = ForeignKey(references=Firm, on_delete=OnDelete.restrict, null=False, index=True)
    starts_on = Date()
    status = Varchar(length=10, default="proposed")  # proposed | confirmed
    inputs_digest = Varchar(length=64)
    assignments = JSON()  # [{"worker_id", "unit_id", "lease_id", "bed", "from_unit_id", "from_bed"}]
    unassigned = JSON()  # [worker_id]
    objective = JSON()
    created_at = Timestamptz()
    confirmed_at = Timestamptz(null=True, default=None)
