"""Per-thread control of numpy's BLAS threads: small products run single-threaded, so they never wait on busy cores."""
from __future__ import annotations

import ctypes
import glob
import os
from contextlib import contextmanager
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1)
def thread_local_setter():
    """OpenBLAS's per-thread thread count setter (0.3.27+) from numpy's own BLAS, or None if unavailable."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "lib*openblas*.so*"))):
        try:
            setter = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        setter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
        return setter
    return None


@contextmanager
def single_threaded_blas():
    """Single-threaded BLAS for the calling thread only, restored afterwards (where numpy's BLAS allows it).

    Threaded BLAS spin-waits for its helper threads: when other work holds the cores, a product that
    takes 0.2 ms on one thread can take 5 ms or more on two.
    """
    setter = thread_local_setter()
    previous = setter(1) if setter is not None else None
    try:
        yield
    finally:
        if setter is not None and previous:
            setter(previous)
