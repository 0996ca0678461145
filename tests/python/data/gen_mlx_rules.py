"""Writes mlx_rules.json: MLX's result dtype (or error type) for every unary
and binary op over every dtype (pair), and for Python scalars meeting arrays.
Run with a Python that has mlx installed (the tests themselves do not need
it):  python gen_mlx_rules.py"""
import json
import os

import mlx.core as mx

DTYPES = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
          "float16", "bfloat16", "float32", "float64", "complex64"]
UNARY = ["abs", "sign", "negative", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt",
         "rsqrt", "square", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan",
         "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "erf", "erfinv", "sigmoid",
         "floor", "ceil", "degrees", "radians", "isnan", "isinf", "isfinite", "isposinf",
         "isneginf", "logical_not", "bitwise_invert", "conjugate", "real", "imag", "round"]
BINARY = ["add", "subtract", "multiply", "divide", "floor_divide", "remainder", "power",
          "maximum", "minimum", "logaddexp", "arctan2", "equal", "not_equal", "less",
          "less_equal", "greater", "greater_equal", "logical_and", "logical_or", "bitwise_and",
          "bitwise_or", "bitwise_xor", "left_shift", "right_shift"]
SCALARS = {"bool": True, "int": 1, "float": 1.5, "complex": 1j}


def outcome(f):
    try:
        r = f()
        mx.eval(r)
        return str(r.dtype).split(".")[-1]
    except Exception as e:  # the error type is what the tests check
        return "!" + type(e).__name__


def arr(name):
    return mx.ones((2,), dtype=getattr(mx, name))


rules = {"unary": {}, "binary": {}, "weak": {}}
for op in UNARY:
    rules["unary"][op] = {d: outcome(lambda: getattr(mx, op)(arr(d))) for d in DTYPES}
for op in BINARY:
    rules["binary"][op] = {a + "," + b: outcome(lambda: getattr(mx, op)(arr(a), arr(b)))
                           for a in DTYPES for b in DTYPES}
for op in BINARY:
    w = {}
    for d in DTYPES:
        for k, v in SCALARS.items():
            w[d + "," + k] = outcome(lambda: getattr(mx, op)(arr(d), v))
            w[k + "," + d] = outcome(lambda: getattr(mx, op)(v, arr(d)))
    rules["weak"][op] = w
rules["mlx_version"] = mx.__version__
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlx_rules.json"), "w") as f:
    json.dump(rules, f, indent=0, sort_keys=True)
