"""The production WSGI application with a sampling profiler in each worker, for benches only
(bench/http.py --profile X --profile-format sampler). Use it where py-spy cannot attach to
the workers: some machines refuse it ptrace, or it cannot find the interpreter in the
process ("Failed to find python version").

Each worker's CPU clock (`ITIMER_PROF`, so waiting on PostgreSQL or Redis is not sampled)
interrupts it every BENCH_SAMPLER_INTERVAL seconds, and the Python stack of the moment is
counted. Requests are sampled, for the whole WSGI call (the middleware, the view and the
response), while the file BENCH_SAMPLER_DIR/on exists: the bench creates it for the round it
profiles. When the worker exits, it writes its stacks to BENCH_SAMPLER_DIR/<pid>.txt in
py-spy's raw collapsed format, which bench/stacks.py reads. The kernel ticks these timers at
its own rate (often every 4 ms of CPU), so a sample stands for that much CPU whatever the
interval asked for. Time spent in C (a syscall, a C extension) is counted on the Python line
that called it.

Never deployed: nothing in the product imports it.
"""

from __future__ import annotations

import atexit
import collections
import os
import signal
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

from config.wsgi import application as _production_application

_DIRECTORY = Path(os.environ["BENCH_SAMPLER_DIR"])  # the bench's own temporary folder
_ON = _DIRECTORY / "on"
_INTERVAL = float(os.environ.get("BENCH_SAMPLER_INTERVAL", "0.001"))
_stacks: collections.Counter[str] = collections.Counter()
_state = {"sampling": False}


def _sample(signum: int, frame: FrameType | None) -> None:
    if not _state["sampling"]:
        return
    names = []
    while frame is not None:
        code = frame.f_code
        names.append(f"{code.co_name} ({code.co_filename}:{frame.f_lineno})")
        frame = frame.f_back
    _stacks[";".join(reversed(names))] += 1


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    _state["sampling"] = _ON.exists()
    try:
        answer = _production_application(environ, start_response)
        body = b"".join(answer)  # the response is written inside the sampled call
        close = getattr(answer, "close", None)
        if close is not None:
            close()
        return [body]
    finally:
        _state["sampling"] = False


def _write() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    if not _stacks:
        return
    with (_DIRECTORY / f"{os.getpid()}.txt").open("w") as out:
        for stack, count in _stacks.items():
            out.write(f"{stack} {count}\n")


signal.signal(signal.SIGPROF, _sample)
signal.setitimer(signal.ITIMER_PROF, _INTERVAL, _INTERVAL)
atexit.register(_write)
