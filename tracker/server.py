"""gunicorn, set up so that the work spreads over the worker processes (tracker serve).

One Python process runs Python on one core at a time, so `tracker serve` runs a worker
process per core; the catch is that a kept-alive connection stays with the process that
accepted it, and gunicorn's workers take new connections at random, not by load. Measured
under bench/bench_web.py (20 users clicking back to back, 2 workers), plain gunicorn served
every user from one process for whole runs, or split them 2 to 18, while the other core
idled. Three things keep the processes evenly busy:

1. The app is built and warmed up once, before the fork (`preload_app`): every worker is
   ready at the same moment, instead of the first one taking all early connections.
2. A worker accepts a new connection only while it holds no more connections than the least
   loaded worker (BalancedWorker; the counts are shared through a small block of memory
   the master creates before the fork), so new connections go where there are fewest.
3. A connection is closed after REQUESTS_PER_CONNECTION requests (as Apache's
   MaxKeepAliveRequests does), so long-lived clients are placed by 2. again from time to
   time. Browsers reconnect on their own; it costs a TCP handshake every so many requests.

Threads do not survive a fork: each worker starts its own import job thread once it runs.
Hand-written because gunicorn has no load-aware placement of connections; it relies on
gunicorn's server hooks, on ThreadWorker's event loop and on two attributes of its Request
(req_number, must_close): gunicorn is pinned in requirements.txt, and tests/test_serve.py
checks each of the three behaviours on a running server.
"""
from __future__ import annotations

import ctypes
import multiprocessing
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker  # the type of the hooks' worker

REQUESTS_PER_CONNECTION = 20
MAX_WORKERS = 64  # tracker serve --workers allows up to 64
FREE = -1  # a slot no running worker holds


class BalancedWorker(ThreadWorker):
    """gunicorn's threaded worker that takes new connections only while it is among the least loaded.

    `loads` (shared memory, one slot per worker) holds each running worker's open connections;
    the worker writes its own count on every turn of its event loop and accepts while that
    count is not above any other worker's, so the least loaded worker always accepts.
    """

    loads: Any = None  # set on the class by NormaServer before the workers are forked
    slot: int = 0  # set on each worker by the pre_fork hook

    def _may_accept(self) -> bool:
        mine = self.nr_conns
        self.loads[self.slot] = mine
        return all(n == FREE or mine <= n for n in self.loads)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self.alive and self._may_accept())

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        # ThreadWorker.run only asks again when the count crosses worker_connections; here every turn
        self.set_accept_enabled(self.nr_conns < self.worker_connections)
        # another worker's count going down wakes nobody here: while not accepting, look every 50 ms
        super().wait_for_and_dispatch_events(min(timeout, 0.05) if not self._accepting else timeout)


def _pick_slot(server: Any, worker: BalancedWorker) -> None:
    """pre_fork (in the master): the new worker takes a slot no running worker holds."""
    taken = {getattr(w, "slot", None) for w in server.WORKERS.values()}
    worker.slot = next(i for i in range(MAX_WORKERS) if i not in taken)
    worker.loads[worker.slot] = 0


def _free_slot(server: Any, worker: BalancedWorker) -> None:
    """child_exit (in the master): a worker that ended no longer counts."""
    worker.loads[worker.slot] = FREE


def _start_job_thread(worker: ThreadWorker) -> None:
    """post_worker_init: this worker's own import job thread (web.start_jobs)."""
    from web import start_jobs

    start_jobs(worker.wsgi)


def _close_after_some_requests(worker: ThreadWorker, req: Any) -> None:
    """pre_request: the connection's last request says `Connection: close` (gunicorn then closes it)."""
    if req.req_number >= REQUESTS_PER_CONNECTION:
        req.must_close = True


class NormaServer(BaseApplication):
    """gunicorn's embedding API: `NormaServer(app_config, options).run()` serves until stopped."""

    def __init__(self, app_config: dict[str, Any], options: dict[str, Any]) -> None:
        self.app_config, self.options = app_config, options
        super().__init__()

    def load_config(self) -> None:
        BalancedWorker.loads = multiprocessing.RawArray(ctypes.c_long, [FREE] * MAX_WORKERS)
        fixed = {"worker_class": BalancedWorker, "preload_app": True, "pre_fork": _pick_slot,
                 "child_exit": _free_slot, "post_worker_init": _start_job_thread,
                 "pre_request": _close_after_some_requests}
        for key, value in {**self.options, **fixed}.items():
            self.cfg.set(key, value)

    def load(self):  # noqa: ANN201 - the Flask app
        # web sits above tracker (DESIGN.md); imported here only, so nothing else in tracker depends on it
        from web import create_app

        # WARM_UP: the first-visit costs are paid before any request; no job thread before the fork
        return create_app(dict(self.app_config, WARM_UP=True, START_WORKER=False))
