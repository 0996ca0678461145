"""Handing an evaluated 1000 x 1000 float32 array to NumPy (issue 3's
zero-copy conversion, formerly bench_python_overhead.py): `np.asarray(a)`
for ember, MLX and JAX (the buffer protocol / __array__, no copy on the
CPU), `np.asarray` of a NumPy array for scale. PyTorch 1.13 here was built
against NumPy 1.x and cannot share buffers with NumPy 2: no column."""
import numpy as np

from bench.cases import Case, rng_f32


def _setup(fws, shape):
    x = rng_f32(shape, seed=5)
    out = {}
    for name, fw in fws.items():
        if name == "torch":
            TO_NUMPY.missing[name] = "torch 1.13 cannot share buffers with NumPy 2"
            continue
        a = fw.force(fw.to(x))
        out[name] = (lambda a=a: np.asarray(a), 1)
    return out


TO_NUMPY = Case("to_numpy", "overhead", [(1000, 1000)], [(1000, 1000)], _setup,
                label=lambda s: f"{s[0]}x{s[1]} float32, evaluated", unit="ns", plot=False)
CASES = [TO_NUMPY]
