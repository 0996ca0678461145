"""Tiny-op overhead: one add of two 1-element float32 arrays.
tiny_record: the cost of recording one lazy op (ember and MLX only: the
others have nothing to record). tiny_eval: the op and its evaluation (ember,
MLX: eval; JAX: a jitted add and block_until_ready; NumPy, PyTorch: eager).
Reported in nanoseconds per op."""
import numpy as np

from bench.cases import Case

ONE = [np.array([1.5], np.float32), np.array([-0.25], np.float32)]


def _record(fws, size):
    out = {}
    for name in ("ember", "mlx"):
        if name in fws:
            fw = fws[name]
            a, b = fw.to(ONE[0]), fw.to(ONE[1])
            out[name] = (lambda a=a, b=b: a + b, 1)
    return out


def _eval(fws, size):
    out = {}
    for name, fw in fws.items():
        a, b = fw.to(ONE[0]), fw.to(ONE[1])
        if name == "jax":
            f = fw.jit(lambda x, y: x + y)
            out[name] = (lambda f=f, a=a, b=b, fw=fw: fw.force(f(a, b)), 1)
        else:
            out[name] = (lambda a=a, b=b, fw=fw: fw.force(a + b), 1)
    return out


CASES = [Case("tiny_record", "overhead", [1], [1], _record, label=lambda s: "1 element", unit="ns", plot=False),
         Case("tiny_eval", "overhead", [1], [1], _eval, label=lambda s: "1 element", unit="ns", plot=False)]
