"""Where per-document work runs: in this process, or in worker processes that end with it.

A run killed mid-way (Ctrl-C, ``kill -9``, a notebook kernel restart) must not leave worker processes
behind holding hundreds of megabytes each.  joblib's loky workers otherwise wait out an idle timeout
of minutes, so every task here is wrapped in :class:`Guarded`, which makes the worker process watch
the process that started it and exit as soon as that process is gone.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_WATCHING: set[int] = set()  # parent pids this process already watches
_LOCK = threading.Lock()


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
        return self.func(*args, **kwargs)


def parallel_map(
    func: Callable[..., Any], calls: Iterable[tuple], n_jobs: int = -1, ordered: bool = True
) -> Iterator[Any]:
    """``func(*args)`` for every ``args`` in ``calls``, on ``n_jobs`` worker processes (1: here).

    Results come in the order of ``calls`` when ``ordered``, else as they finish."""
    if n_jobs == 1:
        for args in calls:
            yield func(*args)
        return
    from joblib import Parallel, delayed

    guarded = Guarded(func)
    yield from Parallel(n_jobs=n_jobs, return_as="generator" if ordered else "generator_unordered")(
        delayed(guarded)(*args) for args in calls
    )
