"""The bandwidth ceiling, measured in the same run: a plain C copy loop and
the triad z = x + 3 y (bench/native/ceiling.c via ctypes, OpenMP on the run's thread
count) on the elementwise sizes, next to NumPy's (np.copyto; multiply and add
into a preallocated out=) and PyTorch's in-place equivalents (z.copy_(x);
torch.add(x, y, alpha=3, out=z)). Ratios are relative to C. On a GPU (no C
column) the PyTorch and JAX rows give the device's own ceiling."""
import ctypes
import os

import numpy as np

from bench.cases import Case, rng_f32, human_n
from bench.cases.elementwise import SIZES, QUICK

_LIB = []


def _lib():
    if not _LIB:
        path = os.environ.get("BENCH_CEILING_SO")
        _LIB.append(ctypes.CDLL(path) if path and os.path.exists(path) else None)
    return _LIB[0]


def _reps(n):
    return max(1, (1 << 18) // n)


def _ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p)


def _setup(kind):
    def setup(fws, n):
        x, y, z = rng_f32(n, 1), rng_f32(n, 2), np.zeros(n, np.float32)
        out = {}
        lib = _lib()
        cpu = any(fw.device == "cpu" for fw in fws.values() if fw.available())
        if lib is not None and cpu:
            k = _reps(n)
            if kind == "copy":
                out["c"] = (lambda: lib.copy_loop(_ptr(z), _ptr(x), ctypes.c_long(n), k), k)
            else:
                out["c"] = (lambda: lib.triad_loop(_ptr(z), _ptr(x), _ptr(y), ctypes.c_long(n), k), k)
        else:
            case.missing["c"] = "CPU only" if not cpu else "libceiling.so not built"
        if "numpy" in fws:
            if kind == "copy":
                out["numpy"] = (lambda: np.copyto(z, x), 1)
            else:
                def tri():
                    np.multiply(y, np.float32(3), out=z)
                    np.add(z, x, out=z)
                out["numpy"] = (tri, 1)
        if "torch" in fws:
            t = fws["torch"]
            tx, ty, tz = t.to(x), t.to(y), t.to(z)
            if kind == "copy":
                out["torch"] = (lambda: t.force(tz.copy_(tx)), 1)
            else:
                out["torch"] = (lambda: t.force(t.mod.add(tx, ty, alpha=3, out=tz)), 1)
        if "jax" in fws and not cpu:   # on a GPU: JAX's device copy / fused triad
            j = fws["jax"]
            jx, jy = j.to(x), j.to(y)
            f = j.jit(lambda a: a + 0.0) if kind == "copy" else j.jit(lambda a, b: a + 3.0 * b)
            out["jax"] = ((lambda: j.force(f(jx))) if kind == "copy" else (lambda: j.force(f(jx, jy))), 1)
        return out
    case = Case(kind, "ceiling", SIZES, QUICK, setup, bytes_per=lambda n: (8 if kind == "copy" else 12) * n,
                label=human_n, unit="GB/s", ref="c", check=False)
    return case


CASES = [_setup("copy"), _setup("triad")]
