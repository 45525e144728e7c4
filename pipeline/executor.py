"""Where per-document work runs: in this process, in local worker processes that end with it, or on a Dask
cluster (``run --executor dask --scheduler ADDRESS``).

A run killed mid-way (Ctrl-C, ``kill -9``, a notebook kernel restart) must not leave local worker processes
behind holding hundreds of megabytes each.  joblib's loky workers otherwise wait out an idle timeout
of minutes, so every local task is wrapped in :class:`Guarded`, which makes the worker process watch
the process that started it and exit as soon as that process is gone.  Dask workers belong to their
cluster and outlive a run by design.

The executor changes where work runs, never what it produces: results are collected and ordered by the
stages, so every executor gives byte-identical tables.  With Dask, workers read the corpus and write the
per-document cache by path, so the corpus and the output folder must be on a file system they share.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

_WATCHING: set[int] = set()  # parent pids this process already watches
_LOCK = threading.Lock()
EXECUTORS = ("local", "dask")
_CONFIG: dict[str, Any] = {"kind": "local", "scheduler": None}
_CLIENTS: dict[str, Any] = {}


@contextmanager
def using(kind: str = "local", scheduler: str | None = None) -> Iterator[None]:
    """Run the per-document work inside this block on ``kind`` (``local`` or ``dask``, at ``scheduler``: an
    address such as tcp://10.0.0.5:8786, or a scheduler file written by ``dask scheduler --scheduler-file``)."""
    from .errors import ParamError

    if kind not in EXECUTORS:
        raise ParamError(f"unknown executor '{kind}' (choose one of: {', '.join(EXECUTORS)})")
    if kind == "dask" and not scheduler:
        raise ParamError("--executor dask needs --scheduler ADDRESS (or a scheduler file)")
    before = dict(_CONFIG)
    _CONFIG.update(kind=kind, scheduler=scheduler)
    try:
        yield
    finally:
        _CONFIG.update(before)
        client = _CLIENTS.pop(scheduler, None) if scheduler else None
        if client is not None:  # the run is over: let go of the cluster (it keeps running for others)
            client.close()


def _dask_client(scheduler: str):
    from .errors import PipelineError

    if scheduler not in _CLIENTS:
        try:
            from dask.distributed import Client
        except ImportError as e:  # pragma: no cover - a pinned dependency
            raise PipelineError("--executor dask needs the dask[distributed] package") from e
        try:
            if os.path.isfile(scheduler):
                _CLIENTS[scheduler] = Client(scheduler_file=scheduler, timeout="20s")
            else:
                _CLIENTS[scheduler] = Client(scheduler, timeout="20s")
        except OSError as e:
            raise PipelineError(f"cannot reach the Dask scheduler at {scheduler}: {e}") from None
    return _CLIENTS[scheduler]


def _die_with(parent: int) -> None:
    """Make this process exit when ``parent`` exits (a no-op in the parent itself)."""
    if os.getpid() == parent:
        return
    with _LOCK:
        if parent in _WATCHING:
            return
        _WATCHING.add(parent)
    if sys.platform.startswith("linux") and os.getppid() == parent:
        try:  # the kernel's own signal on parent death: immediate
            import ctypes
            import signal

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except OSError:  # pragma: no cover - libc without prctl
            pass

    def watch() -> None:  # everywhere: notice the re-parenting
        while True:
            if os.getppid() != parent and not _alive(parent):
                os._exit(1)
            time.sleep(0.5)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - exists, owned by someone else
        return True
    return True


class Guarded:
    """A picklable wrapper: run ``func`` in a worker that ends with the process that made this."""

    def __init__(self, func: Callable[..., Any]):
        self.func = func
        self.parent = os.getpid()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        _die_with(self.parent)
        _keep_worker()
        return self.func(*args, **kwargs)


# What a worker may grow by before loky takes it for a leak and starts another: loky measures after a worker's
# first task (an ingest chunk), and the themes stage then loads its dictionaries, rules and classifier once per
# worker on purpose. Past loky's 300 MB the worker was replaced in mid-run and the new one loaded everything again.
WORKER_GROWTH = 2_000_000_000


def _keep_worker() -> None:
    """Raise loky's leak threshold in this worker process (a module constant it reads at every check)."""
    try:
        from joblib.externals.loky import process_executor
    except ImportError:  # pragma: no cover - another joblib layout: its own default stays
        return
    if getattr(process_executor, "_MAX_MEMORY_LEAK_SIZE", WORKER_GROWTH) < WORKER_GROWTH:
        process_executor._MAX_MEMORY_LEAK_SIZE = WORKER_GROWTH


def parallel_map(
    func: Callable[..., Any], calls: Iterable[tuple], n_jobs: int = -1, ordered: bool = True
) -> Iterator[Any]:
    """``func(*args)`` for every ``args`` in ``calls``, on ``n_jobs`` worker processes (1: here), or on the
    Dask cluster of the enclosing :func:`using` block.

    Results come in the order of ``calls`` when ``ordered``, else as they finish."""
    if n_jobs == 1:
        for args in calls:
            yield func(*args)
        return
    if _CONFIG["kind"] == "dask":
        from dask.distributed import as_completed

        client = _dask_client(_CONFIG["scheduler"])
        if not ordered:
            futures = [client.submit(func, *args, pure=False) for args in calls]
            for future in as_completed(futures):
                yield future.result()
            return
        # a window of tasks in flight (a few per worker thread): the inputs of a large corpus are never all
        # submitted, nor its results all held, at once
        window = max(4, 4 * sum(client.nthreads().values()))
        pending: deque = deque()
        for args in calls:
            pending.append(client.submit(func, *args, pure=False))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
        return
    from joblib import Parallel, delayed

    guarded = Guarded(func)
    yield from Parallel(n_jobs=n_jobs, return_as="generator" if ordered else "generator_unordered")(
        delayed(guarded)(*args) for args in calls
    )
