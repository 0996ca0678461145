"""Random numbers of the random issue: raw uint32 bits, uniform and normal
float32 and randint int32 in [0, 1000), 10^6 and 10^7 values, with a fixed
key (ember, MLX, JAX: the key is an argument of the jitted draw) or generator
(NumPy's PCG64 Generator, PyTorch's default generator); a call includes the
output's allocation. Each library has its own generator, so the rows compare
the cost of a draw, and the output check compares shapes only. MLX has no
public `random.bits`: its column is `random.split(key, n / 2)` reshaped, the
same threefry bits. PyTorch has no uint32: its bits are `randint` int32 in
[0, 2^31 - 1)."""
import numpy as np

from bench.cases import Case


def _mx_fn(m, kind, n):
    key = m.random.key(0)
    if kind == "bits":
        if hasattr(m.random, "bits"):
            return lambda: m.random.bits((n,), key=key)
        return lambda: m.reshape(m.random.split(key, n // 2), (n,))
    if kind == "uniform":
        return lambda: m.random.uniform(shape=(n,), key=key)
    if kind == "normal":
        return lambda: m.random.normal(shape=(n,), key=key)
    return lambda: m.random.randint(0, 1000, shape=(n,), key=key)


def _setup(kind):
    def setup(fws, n):
        out = {}
        for name, fw in fws.items():
            mod = fw.mod
            if name in ("ember", "mlx"):
                f = _mx_fn(mod, kind, n)
            elif name == "numpy":
                rng = np.random.default_rng(0)
                f = {"bits": lambda: rng.integers(0, 2**32, size=n, dtype=np.uint32),
                     "uniform": lambda: rng.random(n, dtype=np.float32),
                     "normal": lambda: rng.standard_normal(n, dtype=np.float32),
                     "randint": lambda: rng.integers(0, 1000, size=n, dtype=np.int32)}[kind]
            elif name == "jax":
                jr, jnp = fw.jax.random, mod
                draw = {"bits": lambda k: jr.bits(k, (n,), jnp.uint32),
                        "uniform": lambda k: jr.uniform(k, (n,), jnp.float32),
                        "normal": lambda k: jr.normal(k, (n,), jnp.float32),
                        "randint": lambda k: jr.randint(k, (n,), 0, 1000, jnp.int32)}[kind]
                jf, key = fw.jit(draw), jr.PRNGKey(0)
                f = lambda jf=jf, key=key: jf(key)  # noqa: E731
            elif name == "torch":
                g = mod.Generator().manual_seed(0)
                t = mod
                f = {"bits": lambda: t.randint(0, 2**31 - 1, (n,), generator=g, dtype=t.int32),
                     "uniform": lambda: t.rand(n, generator=g),
                     "normal": lambda: t.randn(n, generator=g),
                     "randint": lambda: t.randint(0, 1000, (n,), generator=g, dtype=t.int32)}[kind]
                f = f if fw.device == "cpu" else None
                if f is None:
                    CASES_BY[kind].missing[name] = "CPU generator only here"
                    continue
            else:
                continue
            out[name] = (lambda f=f, fw=fw: fw.force(f()), 1)
        return out
    return setup


def _label(n):
    return f"n=10^{len(str(n)) - 1}"


CASES_BY = {k: Case(f"random_{k}", "random", [10**6, 10**7], [10**5] if k == "normal" else [], _setup(k), bytes_per=lambda n: 4 * n,
                    label=_label, unit="GB/s", check="shape")
            for k in ("bits", "uniform", "normal", "randint")}
CASES = list(CASES_BY.values())
