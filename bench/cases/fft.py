"""FFTs of the fft issue: complex64 transforms of 2^10, 2^20 and 10^6 (not a
power of two) points, the rfft of a 1024 x 1024 float32 batch along the last
axis, and a 1024 x 1024 complex64 fft2 (its second pass runs down columns).
Outputs complex64 everywhere (NumPy 2's pocketfft keeps complex64). The rate
is the usual 5 n log2 n flops of a complex transform (2.5 n log2 n for a real
one), a yardstick rather than a count."""
import math

import numpy as np

from bench.cases import Case, per_framework


def _c64(shape, seed):
    r = np.random.default_rng(seed)
    return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(np.complex64)


def _impl(kind):
    return {"numpy": lambda n, x: getattr(n.fft, kind)(x), "mx": lambda m, x: getattr(m.fft, kind)(x),
            "jax": lambda j, x: getattr(j.fft, kind)(x), "torch": lambda t, x: getattr(t.fft, kind)(x)}


def _fft_setup(fws, n):
    return per_framework(FFT, fws, _impl("fft"), [_c64(n, 0)])


def _rfft_setup(fws, s):
    x = np.random.default_rng(1).standard_normal(s).astype(np.float32)
    return per_framework(RFFT, fws, _impl("rfft"), [x])


def _fft2_setup(fws, s):
    return per_framework(FFT2, fws, _impl("fft2"), [_c64(s, 2)])


FFT = Case("fft", "fft", [1 << 10, 1 << 20, 10**6], [1 << 14], _fft_setup,
           flops_per=lambda n: 5 * n * math.log2(n), unit="GFLOP/s",
           label=lambda n: f"n={n} complex64")
RFFT = Case("rfft", "fft", [(1024, 1024)], [(128, 1024)], _rfft_setup,
            flops_per=lambda s: 2.5 * s[0] * s[1] * math.log2(s[1]), unit="GFLOP/s",
            label=lambda s: f"{s[0]}x{s[1]} float32, last axis")
FFT2 = Case("fft2", "fft", [(1024, 1024)], [], _fft2_setup,
            flops_per=lambda s: 5 * s[0] * s[1] * math.log2(s[0] * s[1]), unit="GFLOP/s",
            label=lambda s: f"{s[0]}x{s[1]} complex64")

CASES = [FFT, RFFT, FFT2]
