"""Square float32 matrix products, n = 256 ... 2048 (2 n^3 flops each)."""
from bench.cases import Case, per_framework, rng_f32

SIZES = [256, 512, 1024, 2048]
QUICK = [256, 512]

IMPLS = {"numpy": lambda np, a, b: np.matmul(a, b), "mx": lambda m, a, b: m.matmul(a, b),
         "jax": lambda j, a, b: j.matmul(a, b), "torch": lambda t, a, b: t.matmul(a, b)}


def setup(fws, n):
    return per_framework(CASES[0], fws, IMPLS, [rng_f32((n, n), seed=11), rng_f32((n, n), seed=12)])


CASES = [Case("matmul", "matmul", SIZES, QUICK, setup, flops_per=lambda n: 2.0 * n ** 3,
              label=lambda n: f"{n}^3", unit="GFLOP/s")]
