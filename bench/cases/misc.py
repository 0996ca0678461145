"""The ops of the misc issue, python/src/ops_misc.c: isclose, roll (flat and
over two axes), diff (n = 2), count_nonzero along an axis, a dense meshgrid,
as_strided (sliding windows of 8, summed) and view (float32 bits as int16,
plus 1). softmax, also of that issue, is in softmax.py. NumPy's windows are
`sliding_window_view`; JAX has no as_strided, and its view is
`lax.bitcast_convert_type` reshaped; PyTorch's diff n = 2 is two diffs."""
import numpy as np

from bench.cases import Case, human_n, per_framework


def _v(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def _jax():
    return __import__("jax")


def _jax_view(j, a):
    b = _jax().lax.bitcast_convert_type(a, j.int16)
    return b.reshape(a.shape[:-1] + (-1,)) + 1


OPS = {
    "isclose": ({"numpy": lambda n, a, b: n.isclose(a, b), "mx": lambda m, a, b: m.isclose(a, b),
                 "jax": lambda j, a, b: j.isclose(a, b), "torch": lambda t, a, b: t.isclose(a, b)},
                lambda n: [_v(n), _v(n) + np.float32(1e-6)], [1 << 22], [1 << 18],
                lambda n: f"{human_n(n)} float32", lambda n: 9 * n),
    "roll": ({"numpy": lambda n, a: n.roll(a, 1000), "mx": lambda m, a: m.roll(a, 1000),
              "jax": lambda j, a: j.roll(a, 1000), "torch": lambda t, a: t.roll(a, 1000)},
             lambda n: [_v(n)], [1 << 22], [1 << 18], lambda n: f"{human_n(n)} float32 by 1000",
             lambda n: 8 * n),
    "roll_2d": ({"numpy": lambda n, a: n.roll(a, (1, 2), (0, 1)), "mx": lambda m, a: m.roll(a, (1, 2), (0, 1)),
                 "jax": lambda j, a: j.roll(a, (1, 2), (0, 1)), "torch": lambda t, a: t.roll(a, (1, 2), (0, 1))},
                lambda n: [_v(n * n).reshape(n, n)], [1024], [256], lambda n: f"{n}x{n} by (1, 2), axes (0, 1)",
                lambda n: 8 * n * n),
    "diff": ({"numpy": lambda n, a: n.diff(a, 2), "mx": lambda m, a: m.diff(a, 2),
              "jax": lambda j, a: j.diff(a, 2), "torch": lambda t, a: t.diff(t.diff(a))},
             lambda n: [_v(n)], [1 << 22], [1 << 18], lambda n: f"{human_n(n)} float32, n=2", lambda n: 8 * n),
    "count_nonzero": ({"numpy": lambda n, a: n.count_nonzero(a > 0, axis=0),
                       "mx": lambda m, a: m.count_nonzero(a > 0, axis=0),
                       "jax": lambda j, a: j.count_nonzero(a > 0, axis=0),
                       "torch": lambda t, a: t.count_nonzero(a > 0, dim=0)},
                      lambda n: [_v(n * n).reshape(n, n)], [1024], [256], lambda n: f"{n}x{n} > 0, axis 0",
                      lambda n: 4 * n * n),
    "meshgrid": ({"numpy": lambda n, a: [x.copy() for x in n.meshgrid(a, a)],
                  "mx": lambda m, a: [m.contiguous(x) for x in m.meshgrid(a, a)],
                  "jax": lambda j, a: j.meshgrid(a, a),
                  "torch": lambda t, a: [x.contiguous() for x in t.meshgrid(a, a, indexing="xy")]},
                 lambda n: [np.arange(n, dtype=np.float32)], [2048], [512], lambda n: f"{n}x{n} dense, xy",
                 lambda n: 8 * n * n),
    "as_strided": ({"numpy": lambda n, a: n.lib.stride_tricks.sliding_window_view(a, 8).sum(axis=1),
                    "mx": lambda m, a: m.as_strided(a, (a.size - 7, 8), (1, 1)).sum(axis=1),
                    "jax": "no as_strided",
                    "torch": lambda t, a: a.as_strided((a.numel() - 7, 8), (1, 1)).sum(1)},
                   lambda n: [_v(n)], [1 << 20], [1 << 16], lambda n: f"{human_n(n)} windows of 8, summed",
                   lambda n: 8 * n),
    "view": ({"numpy": lambda n, a: a.view(n.int16) + 1, "mx": lambda m, a: m.view(a, m.int16) + 1,
              "jax": _jax_view, "torch": lambda t, a: a.view(t.int16) + 1},
             lambda n: [_v(n * n).reshape(n, n)], [1024], [256], lambda n: f"{n}x{n} float32 -> int16, + 1",
             lambda n: 8 * n * n),
}


QUICK = ("isclose", "roll", "view")   # --quick times these; --quick --dry-run starts all


def _make(name):
    impls, data, full, quick, label, nbytes = OPS[name]
    quick = quick if name in QUICK else []

    def setup(fws, n):
        return per_framework(case, fws, impls, data(n))
    case = Case(name, "misc", full, quick, setup, label=label, bytes_per=nbytes, unit="GB/s")
    return case


CASES = [_make(k) for k in OPS]
