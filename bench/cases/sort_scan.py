"""Sorting, scans and gathers of issue 7 on random normal float32: sort,
argsort, topk (k = 10 and 1000), cumsum, take (as many random int32 indices
as elements) and scatter-add (`a.at[idx].add(v)`), 1 Mi elements; plus the
sort of each row of a 1024 x 1024 matrix (rows in parallel). NumPy's topk is
`np.partition(a, -k)[-k:]`, its scatter-add `np.add.at` on a copy; PyTorch's
scatter-add is `index_add_` on a clone, its indices int64. topk's outputs are
compared sorted (MLX and NumPy return them in no particular order)."""
import numpy as np

from bench.cases import Case, human_n, per_framework

QUICK = [1 << 16]
FULL = [1 << 20]


def _data(n):
    r = np.random.default_rng(0)
    return (r.standard_normal(n).astype(np.float32), r.integers(0, n, n).astype(np.int32),
            r.standard_normal(n).astype(np.float32))


def _jax():
    return __import__("jax")


def _np_scatter(np_, a, idx, v):
    b = a.copy()
    np_.add.at(b, idx, v)
    return b


def _topk(k):
    return {"numpy": lambda n, a: n.partition(a, -k)[-k:],
            "mx": lambda m, a: m.topk(a, k),
            "jax": lambda j, a: _jax().lax.top_k(a, k)[0],
            "torch": lambda t, a: t.topk(a, k).values}


IMPLS = {
    "sort": {"numpy": lambda n, a: n.sort(a), "mx": lambda m, a: m.sort(a),
             "jax": lambda j, a: j.sort(a), "torch": lambda t, a: t.sort(a, stable=True).values},
    "argsort": {"numpy": lambda n, a: n.argsort(a, kind="stable"), "mx": lambda m, a: m.argsort(a),
                "jax": lambda j, a: j.argsort(a), "torch": lambda t, a: t.argsort(a, stable=True)},
    "topk_10": _topk(10),
    "topk_1000": _topk(1000),
    "cumsum": {"numpy": lambda n, a: n.cumsum(a), "mx": lambda m, a: m.cumsum(a),
               "jax": lambda j, a: j.cumsum(a), "torch": lambda t, a: t.cumsum(a, 0)},
    "take": {"numpy": lambda n, a, i: n.take(a, i), "mx": lambda m, a, i: m.take(a, i),
             "jax": lambda j, a, i: j.take(a, i), "torch": lambda t, a, i: t.take(a, i)},
    "scatter_add": {"numpy": _np_scatter, "mx": lambda m, a, i, v: a.at[i].add(v),
                    "jax": lambda j, a, i, v: a.at[i].add(v),
                    "torch": lambda t, a, i, v: a.clone().index_add_(0, i, v)},
}
NARGS = {"take": 2, "scatter_add": 3}
TIMED_QUICK = ("sort", "topk_10", "cumsum", "scatter_add")   # the others: full runs (and --dry-run) only


def _make(op):
    nargs = NARGS.get(op, 1)

    def setup(fws, n):
        a, idx, v = _data(n)
        arrays = [a, idx, v][:nargs]
        t_arrays = [a, idx.astype(np.int64), v][:nargs]
        return per_framework(case, fws, IMPLS[op], arrays, arrays_for={"torch": t_arrays})
    # bytes: the input read, the output written (indices and values where used)
    per = {"sort": 8, "argsort": 8, "topk_10": 4, "topk_1000": 4, "cumsum": 8, "take": 12,
           "scatter_add": 20}[op]
    case = Case(op, "sort/scan", FULL, QUICK if op in TIMED_QUICK else [], setup, bytes_per=lambda n: per * n,
                label=lambda n: f"{human_n(n)} float32", unit="GB/s",
                canon=(lambda outs: [np.sort(outs[0])]) if op.startswith("topk") else None)
    return case


def _rows_setup(fws, shape):
    a = _data(shape[0] * shape[1])[0].reshape(shape)
    return per_framework(ROWS, fws, {"numpy": lambda n, x: n.sort(x, axis=-1),
                                     "mx": lambda m, x: m.sort(x, axis=-1),
                                     "jax": lambda j, x: j.sort(x, axis=-1),
                                     "torch": lambda t, x: t.sort(x, dim=-1).values}, [a])


ROWS = Case("sort_rows", "sort/scan", [(1024, 1024)], [], _rows_setup,
            bytes_per=lambda s: 8 * s[0] * s[1], label=lambda s: f"{s[0]}x{s[1]} float32, last axis")

CASES = [_make(op) for op in IMPLS] + [ROWS]
