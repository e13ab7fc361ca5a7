"""Progress reports and stopping, across every OR-Tools call a solve makes.

The housing service runs ``solve`` in a child process, shows the run live and lets staff cancel
it. Two hooks, both optional:

* ``progress(report)`` — called with ``{"level": ..., "best": {...}, "bound": {...},
  "seconds": float}`` when a level starts and whenever the best plan or a bound improves; at
  most ``MAX_REPORTS_PER_SECOND`` times a second (a report that would come too soon is held and
  sent with the next one or at the end, so the last word is never lost). Always called from the
  thread that called ``solve``.
* ``stop()`` — returns True when the caller wants the solver to finish now. It is polled every
  ``POLL_SECONDS`` by a helper thread while SCIP or GLOP runs (OR-Tools releases the GIL while
  solving; the thread then calls the solver's ``InterruptSolve``), and between steps by the
  solver itself. After a stop, ``solve`` returns the best valid plan found so far, ``feasible``,
  with an honest bound.

The same object carries the deadline, so "out of time" and "asked to stop" are one check.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Progress = Callable[[dict[str, Any]], None]
Stop = Callable[[], bool]

MAX_REPORTS_PER_SECOND = 4.0
POLL_SECONDS = 0.05


class Control:
    """Deadline, stop request and throttled progress reports for one run."""

    def __init__(self, started: float, deadline: float, progress: Progress | None = None,
                 stop: Stop | None = None) -> None:
        self.started = started
        self.deadline = deadline
        self._progress = progress
        self._stop = stop
        self._stopped = False
        self._last_sent = -1.0
        self._pending: dict[str, Any] | None = None
        self.level = "shortfall_penalty"
        self.best: dict[str, Any] = {}
        self.bound: dict[str, Any] = {}

    # --- stopping ------------------------------------------------------------------------

    def stop_requested(self) -> bool:
        """True once the caller's ``stop()`` has returned True (sticky; a failing stop callback
        counts as a stop request, so a broken caller cannot make the run overrun)."""
        if not self._stopped and self._stop is not None:
            try:
                self._stopped = bool(self._stop())
            except Exception:
                self._stopped = True
        return self._stopped

    def left(self) -> float:
        """Seconds left before the deadline; 0 once a stop was requested."""
        if self.stop_requested():
            return 0.0
        return max(0.0, self.deadline - time.monotonic())

    def done(self, margin: float = 0.0) -> bool:
        return self.left() <= margin

    @contextmanager
    def watching(self, solver: Any) -> Iterator[None]:
        """While the block runs (one ``solver.Solve()``), interrupt the solver when a stop is
        requested. Without a stop callback there is nothing to watch."""
        if self._stop is None:
            self._flush_if_due()
            yield
            return
        self._flush_if_due()
        finished = threading.Event()

        def watch() -> None:
            # keep interrupting until the call returns: one interrupt sent before the solver
            # has really started could otherwise be lost
            while not finished.wait(POLL_SECONDS):
                if self.stop_requested():
                    solver.InterruptSolve()

        thread = threading.Thread(target=watch, name="allocation-stop-watch", daemon=True)
        thread.start()
        try:
            yield
        finally:
            finished.set()
            thread.join()

    # --- progress ------------------------------------------------------------------------

    def start_level(self, level: str) -> None:
        self.level = level
        self._emit()

    def improved(self, best: dict[str, Any] | None = None, bound: dict[str, Any] | None = None) -> None:
        """Record a better plan (its objective) and/or better bounds; report if anything changed."""
        changed = False
        if best is not None and best != self.best:
            self.best = dict(best)
            changed = True
        if bound:
            for k, v in bound.items():
                if self.bound.get(k) is None or v > self.bound[k]:
                    self.bound[k] = v
                    changed = True
        if changed:
            self._emit()

    def flush(self) -> None:
        """Send a held-back report now (at the end of the run)."""
        if self._pending is not None and self._progress is not None:
            report, self._pending = self._pending, None
            self._progress(report)

    def _flush_if_due(self) -> None:
        if self._pending is not None and time.monotonic() - self._last_sent >= 1.0 / MAX_REPORTS_PER_SECOND:
            self._last_sent = time.monotonic()
            self.flush()

    def _emit(self) -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        report = {"level": self.level, "best": dict(self.best), "bound": dict(self.bound),
                  "seconds": round(now - self.started, 3)}
        if now - self._last_sent < 1.0 / MAX_REPORTS_PER_SECOND:
            self._pending = report
            return
        self._pending = None
        self._last_sent = now
        self._progress(report)
