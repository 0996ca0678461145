"""Linear algebra of the linalg issue: inv, svd (with U and Vt) and cholesky of
one 512 x 512 float32 matrix (well conditioned; symmetric positive definite
for cholesky), and a batch of 256 8 x 8 inverses (the per-matrix overhead).
All end in LAPACK, so the ratios mostly compare the glue. SVD outputs are
compared as S and U diag(S) Vt: the singular vectors' signs are free, and
those of close singular values are ill-conditioned (float32 libraries differ
there by about 1e-3)."""
import numpy as np

from bench.cases import Case, per_framework


def _mat(n, seed=0):
    r = np.random.default_rng(seed)
    return (r.standard_normal((n, n)) + n * np.eye(n)).astype(np.float32)


def _spd(n):
    b = np.random.default_rng(1).standard_normal((n, n))
    return (b @ b.T + n * np.eye(n)).astype(np.float32)


def _svd_canon(outs):
    # singular vectors of close singular values are ill-conditioned (float32
    # libraries differ there by ~1e-3): compare S and U diag(S) Vt instead
    u, s, vt = (o.astype(np.float64) for o in outs)
    return [s, (u * s) @ vt]


def _impl(op):
    return {"numpy": lambda n, x: getattr(n.linalg, op)(x),
            "mx": lambda m, x: getattr(m.linalg, op)(x),
            "jax": lambda j, x: getattr(j.linalg, op)(x),
            "torch": lambda t, x: tuple(getattr(t.linalg, op)(x)) if op == "svd" else getattr(t.linalg, op)(x)}


def _make(name, op, make, sizes, quick, label, flops, canon=None):
    def setup(fws, n):
        return per_framework(case, fws, _impl(op), [make(n)])
    case = Case(name, "linalg", sizes, quick, setup,
                flops_per=flops, unit="GFLOP/s", label=label, canon=canon)
    return case


CASES = [
    _make("inv", "inv", _mat, [512], [128], lambda n: f"{n}x{n} float32", lambda n: 2.0 * n ** 3),
    _make("svd", "svd", _mat, [512], [128], lambda n: f"{n}x{n} float32 (U, S, Vt)", lambda n: 22.0 * n ** 3,
          canon=_svd_canon),
    _make("cholesky", "cholesky", _spd, [512], [128], lambda n: f"{n}x{n} float32", lambda n: n ** 3 / 3.0),
    _make("inv_batch", "inv", lambda n: np.stack([_mat(8, seed=i) for i in range(n)]), [256], [],
          lambda n: f"batch {n} x 8x8 float32", lambda n: 2.0 * n * 8 ** 3),
]
