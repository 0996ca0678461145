"""Elementwise float32 ops on 1 Ki ... 16 Mi elements: add, multiply, exp,
tanh, erf and a chain of five ops, tanh(x * y + x) * 0.5 - y. Throughput
counts the bytes every framework must at least move: inputs read once,
output written once (an unfused chain moves more; a fusing JAX jit does not).
NumPy has no erf (SciPy's is outside this comparison), so erf has no NumPy
column. JAX runs jit-compiled functions (how JAX is meant to be used), the
others run op by op: the chain is where fusion shows."""
from bench.cases import Case, per_framework, rng_f32, human_n

SIZES = [1 << k for k in range(10, 25, 2)]          # 1 Ki, 4 Ki, ..., 16 Mi
QUICK = [1 << 10, 1 << 16, 1 << 20]


def _chain(m, x, y):
    return m.tanh(x * y + x) * 0.5 - y


def _chain_np(np, x, y):
    return np.tanh(x * y + x) * np.float32(0.5) - y


OPS = {
    # name: (inputs, impls)
    "add": (2, {"numpy": lambda np, x, y: np.add(x, y), "mx": lambda m, x, y: m.add(x, y),
                "jax": lambda j, x, y: j.add(x, y), "torch": lambda t, x, y: t.add(x, y)}),
    "multiply": (2, {"numpy": lambda np, x, y: np.multiply(x, y), "mx": lambda m, x, y: m.multiply(x, y),
                     "jax": lambda j, x, y: j.multiply(x, y), "torch": lambda t, x, y: t.mul(x, y)}),
    "exp": (1, {"numpy": lambda np, x: np.exp(x), "mx": lambda m, x: m.exp(x),
                "jax": lambda j, x: j.exp(x), "torch": lambda t, x: t.exp(x)}),
    "tanh": (1, {"numpy": lambda np, x: np.tanh(x), "mx": lambda m, x: m.tanh(x),
                 "jax": lambda j, x: j.tanh(x), "torch": lambda t, x: t.tanh(x)}),
    "erf": (1, {"mx": lambda m, x: m.erf(x), "torch": lambda t, x: t.erf(x),
                "jax": lambda j, x: __import__("jax").scipy.special.erf(x)}),
    "chain5": (2, {"numpy": _chain_np, "mx": _chain, "jax": _chain, "torch": _chain}),
}


def _make(name, nin, impls):
    def setup(fws, n):
        arrays = [rng_f32(n, seed=i + 1) for i in range(nin)]
        return per_framework(case, fws, impls, arrays)
    case = Case(name, "elementwise", SIZES, QUICK, setup, bytes_per=lambda n: 4 * n * (nin + 1),
                label=human_n, unit="GB/s")
    return case


CASES = [_make(name, nin, impls) for name, (nin, impls) in OPS.items()]
