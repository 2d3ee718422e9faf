"""Measurement helpers for the bench: percentiles, stage timers, peak memory, ranking metrics and the machine's description."""
from __future__ import annotations

import math
import os
import platform
import resource
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from importlib import metadata
from pathlib import Path


def percentiles(samples_ms: list[float]) -> dict:
    """p50/p95/p99/mean/max of latencies in milliseconds (nearest-rank), with the sample count."""
    if not samples_ms:
        return {"n": 0}
    ordered = sorted(samples_ms)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    return {"n": len(ordered), "p50": rank(50), "p95": rank(95), "p99": rank(99),
            "mean": sum(ordered) / len(ordered), "max": ordered[-1]}


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB.

    Linux's VmHWM first: ru_maxrss survives exec, so a child started from a big parent would report
    the parent's peak. Elsewhere ru_maxrss (KiB on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / (1024 if sys.platform == "darwin" else 1)


def current_rss_mb() -> float | None:
    """Resident set size now, in MiB, where /proc tells it."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class StageTimer:
    """Exclusive wall seconds per named stage: time inside a nested stage counts for the inner one only."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _children: list[float] = field(default_factory=list)  # per open stage: seconds spent in its inner stages

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        self._children.append(0.0)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            inner = self._children.pop()
            self.seconds[name] += elapsed - inner
            self.calls[name] += 1
            if self._children:
                self._children[-1] += elapsed

    def wrap(self, name: str, func):
        """``func`` timed under ``name`` (the real function runs; only the clock is added)."""
        @wraps(func)
        def timed(*args, **kwargs):
            with self.stage(name):
                return func(*args, **kwargs)
        return timed


@contextmanager
def patched(target, attribute: str, replacement):
    """Temporarily replace ``target.attribute`` (used to put timers around pipeline steps)."""
    own = attribute in vars(target)  # an instance's bound method lives on its class: put nothing back then
    original = getattr(target, attribute)
    setattr(target, attribute, replacement)
    try:
        yield original
    finally:
        if own:
            setattr(target, attribute, original)
        else:
            delattr(target, attribute)


def rank_metrics(ranks: list[int | None], k: int = 5) -> dict:
    """recall@k and MRR (over the full returned list) from each question's 1-based rank of its answer (None: not found)."""
    if not ranks:
        return {"n": 0}
    found = [r for r in ranks if r is not None]
    return {"n": len(ranks), f"recall@{k}": sum(1 for r in found if r <= k) / len(ranks),
            "mrr": sum(1.0 / r for r in found) / len(ranks)}


def machine() -> dict:
    """What the figures came from: CPU, cores, memory, OS, Python and numpy, and how busy the machine was."""
    import numpy  # only here: a child process that reports its own peak memory does not load numpy for it

    info = {"cpu": _cpu_model(), "cores": os.cpu_count(), "memory_gb": _memory_gb(),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "numpy": numpy.__version__, "onnxruntime": _version("onnxruntime"), "parley_commit": _commit()}
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _commit() -> str | None:
    """The git commit of the code measured, "+changes" when the work tree differs from it; None outside a checkout."""

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+changes" if dirty else "")


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages, or None where the OS has none."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None
