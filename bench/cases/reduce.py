"""Reductions of a 4096 x 4096 float32 array (2048 x 2048 with --quick):
sum, max and argmax over all axes, axis 0 and axis 1. Throughput counts the
64 MiB read."""
from bench.cases import Case, per_framework, rng_f32

N, QN = 4096, 2048
AXES = [("all", None), ("axis 0", 0), ("axis 1", 1)]
_X = {}


def _x(n):
    if n not in _X:
        _X.clear()
        _X[n] = rng_f32((n, n), seed=7)
    return _X[n]


def _impls(op):
    if op == "sum":
        return lambda ax: {"numpy": lambda np, x: np.sum(x, axis=ax), "mx": lambda m, x: m.sum(x, axis=ax),
                           "jax": lambda j, x: j.sum(x, axis=ax),
                           "torch": (lambda t, x: t.sum(x)) if ax is None else (lambda t, x: t.sum(x, dim=ax))}
    if op == "max":
        return lambda ax: {"numpy": lambda np, x: np.max(x, axis=ax), "mx": lambda m, x: m.max(x, axis=ax),
                           "jax": lambda j, x: j.max(x, axis=ax),
                           "torch": (lambda t, x: t.amax(x)) if ax is None else (lambda t, x: t.amax(x, dim=ax))}
    return lambda ax: {"numpy": lambda np, x: np.argmax(x, axis=ax), "mx": lambda m, x: m.argmax(x, axis=ax),
                       "jax": lambda j, x: j.argmax(x, axis=ax),
                       "torch": (lambda t, x: t.argmax(x)) if ax is None else (lambda t, x: t.argmax(x, dim=ax))}


def _make(op):
    mk = _impls(op)

    def setup(fws, size):
        n, (_, ax) = size
        return per_framework(case, fws, mk(ax), [_x(n)])
    sizes = [(N, a) for a in AXES]
    quick = [(QN, a) for a in AXES]
    case = Case(op, "reduction", sizes, quick, setup, bytes_per=lambda s: 4 * s[0] * s[0],
                label=lambda s: f"{s[0]}x{s[0]}, {s[1][0]}", unit="GB/s", plot=False)
    return case


CASES = [_make(op) for op in ("sum", "max", "argmax")]
