"""Elementwise op survey: every elementwise op of ember.core against NumPy,
MLX (CPU) and PyTorch where they are importable, at one size and dtype, in
one run, with ratios. It finds the ops where ember is slower than what users
have now.

    python3 bench/bench_ops_survey.py                       # float32, 64 Ki
    python3 bench/bench_ops_survey.py --dtype int32 --n 1048576 --ops add,equal
    python3 bench/bench_ops_survey.py --ref-python /tmp/oracle/bin/python

ember is timed under --ember-python (default: the project's .venv), the
other frameworks under --ref-python (default: bench/.venv if it exists, else
the ember Python), each in its own process. Each call is timed as a user
pays it: ember and MLX build the op and evaluate it; NumPy and PyTorch
allocate their result. The best of --repeat samples is reported, per call.
Pin the run (taskset -c 0) for single-thread figures: ember, MLX and
PyTorch may use more threads than NumPy otherwise. A benchmark, not a test.
"""
import argparse
import json
import os
import subprocess
import sys
import timeit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name -> (arity, numpy name or None, input domain)
UNARY = {
    "abs": "abs", "negative": "negative", "sign": "sign", "square": "square",
    "sqrt": "sqrt", "rsqrt": None, "reciprocal": "reciprocal",
    "exp": "exp", "expm1": "expm1", "log": "log", "log1p": "log1p",
    "log2": "log2", "log10": "log10",
    "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "arcsin",
    "arccos": "arccos", "arctan": "arctan", "sinh": "sinh", "cosh": "cosh",
    "tanh": "tanh", "arcsinh": "arcsinh", "arccosh": "arccosh",
    "arctanh": "arctanh", "erf": None, "erfinv": None, "sigmoid": None,
    "floor": "floor", "ceil": "ceil", "round": "round",
    "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite",
    "degrees": "degrees", "radians": "radians", "logical_not": "logical_not",
}
BINARY = {
    "add": "add", "subtract": "subtract", "multiply": "multiply",
    "divide": "divide", "power": "power", "maximum": "maximum",
    "minimum": "minimum", "arctan2": "arctan2", "logaddexp": "logaddexp",
    "remainder": "remainder", "floor_divide": "floor_divide",
    "equal": "equal", "not_equal": "not_equal", "greater": "greater",
    "less_equal": "less_equal", "logical_and": "logical_and",
}
FLOAT_ONLY = {"sqrt", "rsqrt", "reciprocal", "exp", "expm1", "log", "log1p",
              "log2", "log10", "sin", "cos", "tan", "arcsin", "arccos",
              "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
              "arctanh", "erf", "erfinv", "sigmoid", "degrees", "radians",
              "arctan2", "logaddexp", "divide"}
TORCH = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
         "arccosh": "acosh", "arctanh": "atanh", "arctan2": "atan2",
         "power": "pow", "negative": "neg", "isnan": "isnan", "degrees": "rad2deg",
         "radians": "deg2rad", "not_equal": "ne", "greater": "gt",
         "less_equal": "le", "equal": "eq", "divide": "div", "subtract": "sub",
         "multiply": "mul", "remainder": "remainder", "floor_divide": "floor_divide"}


def inputs(np, n, dtype, op):
    rng = np.random.default_rng(0)
    if dtype.startswith("float") or dtype == "bfloat16":
        a = rng.uniform(0.05, 0.95, n)
        b = rng.uniform(0.05, 0.95, n)
        if op == "arccosh":
            a = a + 1.0
    elif dtype == "bool":
        a, b = rng.integers(0, 2, n) > 0, rng.integers(0, 2, n) > 0
    else:
        a, b = rng.integers(1, 100, n), rng.integers(1, 7, n)
    return a, b


def best(fn, repeat, min_time=0.01):
    fn()
    number = 1
    while True:
        t = timeit.timeit(fn, number=number)
        if t >= min_time:
            break
        number *= 4
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def worker(args):
    import numpy as np
    ops = args.ops.split(",")
    out = {}
    frameworks = {}
    if args.role == "ember":
        import ember.core as em
        frameworks["ember"] = em
    else:
        frameworks["numpy"] = np
        try:
            import mlx.core as mlx
            frameworks["mlx"] = mlx
        except ImportError:
            pass
        try:
            import torch
            torch.set_num_threads(args.threads)
            frameworks["torch"] = torch
        except ImportError:
            pass
    for fw, mod in frameworks.items():
        for op in ops:
            arity = 1 if op in UNARY else 2
            a, b = inputs(np, args.n, args.dtype, op)
            try:
                if fw in ("ember", "mlx"):
                    dt = getattr(mod, "bool_" if args.dtype == "bool" else args.dtype)
                    x, y = mod.array(a).astype(dt), mod.array(b).astype(dt)
                    mod.eval(x, y)
                    f = getattr(mod, op)
                    call = (lambda: mod.eval(f(x))) if arity == 1 else (lambda: mod.eval(f(x, y)))
                elif fw == "numpy":
                    name = (UNARY if arity == 1 else BINARY)[op]
                    if name is None or args.dtype == "bfloat16":
                        continue
                    x, y = a.astype(args.dtype), b.astype(args.dtype)
                    f = getattr(np, name)
                    call = (lambda: f(x)) if arity == 1 else (lambda: f(x, y))
                else:
                    import torch
                    dt = getattr(torch, args.dtype)
                    x = torch.tensor(a.tolist()).to(dt)
                    y = torch.tensor(b.tolist()).to(dt)
                    f = getattr(torch, TORCH.get(op, op))
                    call = (lambda: f(x)) if arity == 1 else (lambda: f(x, y))
                out.setdefault(op, {})[fw] = best(call, args.repeat)
            except Exception as e:  # an op a framework lacks for this dtype
                out.setdefault(op, {})[fw + "_error"] = str(e)[:80]
    json.dump(out, sys.stdout)


def fmt(t):
    if t is None:
        return "-"
    return f"{t * 1e6:.1f} us" if t >= 1e-6 else f"{t * 1e9:.0f} ns"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=65536)
    p.add_argument("--dtype", default="float32")
    p.add_argument("--ops", default=None, help="comma-separated (default: all for the dtype)")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="PyTorch's thread count")
    p.add_argument("--ember-python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    p.add_argument("--ref-python", default=None)
    p.add_argument("--role", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.ops is None:
        isfloat = args.dtype.startswith("float") or args.dtype == "bfloat16"
        args.ops = ",".join(o for o in list(UNARY) + list(BINARY) if isfloat or o not in FLOAT_ONLY)
    if args.role:
        return worker(args)
    ref = args.ref_python
    if ref is None:
        cand = os.path.join(ROOT, "bench", ".venv", "bin", "python")
        ref = cand if os.path.exists(cand) else args.ember_python
    res = {}
    for role, py in (("ember", args.ember_python), ("ref", ref)):
        cmd = [py, os.path.abspath(__file__), "--role", role, "--n", str(args.n), "--dtype", args.dtype,
               "--ops", args.ops, "--repeat", str(args.repeat), "--threads", str(args.threads)]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd="/tmp")
        if r.returncode != 0:
            sys.exit(f"{role} worker failed:\n{r.stderr}")
        for op, d in json.loads(r.stdout).items():
            res.setdefault(op, {}).update(d)
    fws = ["ember", "numpy", "mlx", "torch"]
    present = [f for f in fws if any(f in d for d in res.values())]
    print(f"# elementwise survey: n = {args.n}, dtype {args.dtype}, best of {args.repeat}")
    head = "| op | " + " | ".join(present) + " | " + " | ".join(f"{f} / ember" for f in present[1:]) + " |"
    print(head)
    print("|" + "---|" * (1 + 2 * len(present) - 1))
    for op in args.ops.split(","):
        d = res.get(op, {})
        e = d.get("ember")
        cells = [fmt(d.get(f)) for f in present]
        ratios = [f"{d[f] / e:.2f}x" if e and d.get(f) else "-" for f in present[1:]]
        print(f"| {op} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    errs = [(op, k, v) for op, d in res.items() for k, v in d.items() if k.endswith("_error")]
    for op, k, v in errs:
        print(f"# {op}: {k[:-6]} failed: {v}")


if __name__ == "__main__":
    main()
