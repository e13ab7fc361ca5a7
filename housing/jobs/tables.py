"""Long work (a solver run, later a billing run or an import) as a record in the database.

A request writes a `Job` and answers 202 with its id; a runner claims it, does the work in a
child process and writes progress and the result back here. Everything anyone needs to know
about a job is in its row, so any API process can answer for it and a restart loses nothing.
"""

from __future__ import annotations

from piccolo.columns import JSON, Serial, Timestamptz, Varchar
from piccolo.table import Table


class Job(Table):
    id: Serial
    kind = Varchar(length=32)
    status = Varchar(length=12, default="queued", index=True)  # queued | running | done | failed | cancelled
    params = JSON()
    progress = JSON(null=True, default=None)
    result = JSON(null=True, default=None)
    error = Varchar(length=1000, default="")
    cancel_requested = Varchar(length=1, default="")  # "y" when someone asked it to stop
    owner = Varchar(length=64, default="")  # which runner (host:pid) holds it
    created_at = Timestamptz()
    started_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
