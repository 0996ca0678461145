"""Benchmark cases: one module per concern, each with a list CASES.

A case is a `Case`: a name, a group (the summary's rows), the sizes to run
(full and --quick), what one operation moves or computes at a size (for
throughput), and `setup(fws, size)` returning {framework: (fn, k)}: calling
fn() performs k operations of the case, the result forced (fws[name].force).
A framework that lacks the operation is simply left out (and listed with the
reason in `missing`). Inputs are made with NumPy from a fixed seed and
converted by each adapter (`fw.to`), so every framework sees the same values,
dtype and shape.

To add a case: a new file bench/cases/<concern>.py defining CASES = [...];
it is picked up by name (`python -m bench --cases <name>`) and in the report.
"""
import importlib
import pkgutil

import numpy as np


class Case:
    def __init__(self, name, group, sizes, quick_sizes, setup, *, bytes_per=None, flops_per=None,
                 label=None, unit="GB/s", plot=True, ref="ember", note="", check=True):
        self.name, self.group = name, group
        self.sizes, self.quick_sizes = list(sizes), list(quick_sizes)
        self.setup = setup            # setup(fws, size) -> {fw: (fn, k)}
        self.bytes_per = bytes_per    # size -> bytes read + written per op
        self.flops_per = flops_per    # size -> floating-point operations per op
        self.label = label or (lambda s: str(s))
        self.unit = unit              # "GB/s", "GFLOP/s" or "ns" (latency only)
        self.plot = plot
        self.ref = ref                # the framework the ratios are relative to
        self.note = note
        self.check = check            # compare outputs across frameworks (off for in-place cases)
        self.missing = {}             # {fw: reason} filled by setup

    def rate(self, size, seconds):
        if not seconds or seconds <= 0:
            return None
        if self.unit == "GFLOP/s" and self.flops_per:
            return self.flops_per(size) / seconds / 1e9
        if self.unit == "GB/s" and self.bytes_per:
            return self.bytes_per(size) / seconds / 1e9
        return None


GROUP_ORDER = ("overhead", "elementwise", "reduction", "softmax", "matmul", "mlp", "mlp (compiled)", "ceiling")


def all_cases():
    """Every case of every module here, by group (GROUP_ORDER, then groups
    not listed there), then module and list order."""
    import bench.cases as pkg
    out = []
    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        m = importlib.import_module(f"bench.cases.{mod}")
        for c in m.CASES:
            c.module_doc = " ".join((m.__doc__ or "").split())
        out.extend(m.CASES)
    rank = {g: i for i, g in enumerate(GROUP_ORDER)}
    return sorted(out, key=lambda c: rank.get(c.group, len(rank)))


def rng_f32(shape, seed=0, lo=-1.0, hi=1.0):
    r = np.random.default_rng(seed)
    return r.uniform(lo, hi, size=shape).astype(np.float32)


def human_n(n):
    for unit, k in (("Mi", 1 << 20), ("Ki", 1 << 10)):
        if n >= k and n % k == 0:
            return f"{n // k} {unit}"
    return str(n)


def per_framework(case, fws, impls, arrays, jit=True):
    """The common setup: impls maps "numpy", "mx" (ember and MLX: one code
    for both, as ember.core mirrors mlx.core), "jax" and "torch" to
    f(module, *inputs); arrays are NumPy inputs. Returns {fw: (fn, 1)}."""
    out = {}
    for name, fw in fws.items():
        key = "mx" if name in ("ember", "mlx") else name
        impl = impls.get(key)
        if impl is None:
            case.missing[name] = "no such operation"
            continue
        if name == "ember" and getattr(impl, "needs", None) and not all(hasattr(fw.mod, a) for a in impl.needs):
            case.missing[name] = "ember.core lacks " + ", ".join(a for a in impl.needs if not hasattr(fw.mod, a))
            continue
        args = [fw.to(a) for a in arrays]
        mod = fw.mod
        if name == "jax" and jit:
            f = fw.jit(lambda *a, _i=impl, _m=mod: _i(_m, *a))
            out[name] = (lambda f=f, args=args, fw=fw: fw.force(f(*args)), 1)
        else:
            out[name] = (lambda impl=impl, mod=mod, args=args, fw=fw: fw.force(impl(mod, *args)), 1)
    return out


def needs(*attrs):
    """Decorator: the mx implementation uses these attributes, which ember may
    not have yet (its column then says so instead of failing)."""
    def deco(f):
        f.needs = attrs
        return f
    return deco
