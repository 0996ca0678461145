"""mx.vmap: every op against a Python loop over the mapped axis, trees of
inputs and outputs, in_axes/out_axes variants (negative, None, nested),
nested vmap, and MLX's errors."""
import itertools

import numpy as np
import pytest

import ember.core as mx

from conftest import assert_array, sample

B = 3  # batch size


def take(a, axis, i):
    return a[(slice(None),) * axis + (i,)]


def loop(f, args, in_axes, out_axes=0):
    """f over the batch by hand: the reference vmap is compared with."""
    size = next(a.shape[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = [f(*[a if ax is None else take(a, ax, i) for a, ax in zip(args, in_axes)])
            for i in range(size)]
    return mx.stack(outs, axis=out_axes)


def batched(elem_shape, axis, dtype, low=-3, high=3, seed=0):
    """An array of elem_shape with the batch inserted at axis (None: none)."""
    shape = list(elem_shape)
    if axis is not None:
        shape.insert(axis, B)
    return mx.array(sample(tuple(shape), dtype, low, high, seed), dtype=dtype)


def assert_same(got, want):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    w = want.astype(mx.float32) if want.dtype == mx.bfloat16 else want
    g = got.astype(mx.float32) if got.dtype == mx.bfloat16 else got
    assert_array(g, np.array(w), rtol=1e-5, atol=1e-6)


def all_axes(ranks):
    """Every way of mapping inputs of these ranks (None or any axis), at
    least one mapped."""
    for axes in itertools.product(*[[None] + list(range(r + 1)) for r in ranks]):
        if any(a is not None for a in axes):
            yield axes


def check(f, elem_shapes, dtypes, low=-3, high=3, out_axes=(0, -1)):
    if not isinstance(dtypes, (list, tuple)):
        dtypes = [dtypes] * len(elem_shapes)
    for axes in all_axes([len(s) for s in elem_shapes]):
        args = [batched(s, ax, dt, low, high, seed=i)
                for i, (s, ax, dt) in enumerate(zip(elem_shapes, axes, dtypes))]
        for oa in out_axes:
            want = loop(f, args, axes, oa)
            got = mx.vmap(f, in_axes=tuple(axes) if len(args) > 1 else axes[0], out_axes=oa)(*args)
            assert_same(got, want)


# ------------------------------------------------------------------ unary

UNARY = [
    ("abs", mx.abs, -3, 3, mx.float32), ("sign", mx.sign, -3, 3, mx.int32),
    ("negative", mx.negative, -3, 3, mx.float16), ("exp", mx.exp, -2, 2, mx.float32),
    ("expm1", mx.expm1, -2, 2, mx.float32), ("log", mx.log, 0.1, 3, mx.float32),
    ("log1p", mx.log1p, 0, 3, mx.float32), ("log2", mx.log2, 0.1, 3, mx.float64),
    ("log10", mx.log10, 0.1, 3, mx.float32), ("sqrt", mx.sqrt, 0, 3, mx.float32),
    ("rsqrt", mx.rsqrt, 0.1, 3, mx.float32), ("square", mx.square, -3, 3, mx.int16),
    ("reciprocal", mx.reciprocal, 0.5, 3, mx.float32), ("sin", mx.sin, -3, 3, mx.float32),
    ("cos", mx.cos, -3, 3, mx.float32), ("tan", mx.tan, -1, 1, mx.float32),
    ("arcsin", mx.arcsin, -1, 1, mx.float32), ("arccos", mx.arccos, -1, 1, mx.float32),
    ("arctan", mx.arctan, -3, 3, mx.float32), ("sinh", mx.sinh, -2, 2, mx.float32),
    ("cosh", mx.cosh, -2, 2, mx.float32), ("tanh", mx.tanh, -2, 2, mx.bfloat16),
    ("arcsinh", mx.arcsinh, -2, 2, mx.float32), ("arccosh", mx.arccosh, 1, 3, mx.float32),
    ("arctanh", mx.arctanh, -0.9, 0.9, mx.float32), ("erf", mx.erf, -2, 2, mx.float32),
    ("erfinv", mx.erfinv, -0.9, 0.9, mx.float32), ("sigmoid", mx.sigmoid, -3, 3, mx.float32),
    ("floor", mx.floor, -3, 3, mx.float32), ("ceil", mx.ceil, -3, 3, mx.float32),
    ("round", lambda a: mx.round(a, 1), -3, 3, mx.float32),
    ("degrees", mx.degrees, -3, 3, mx.float32), ("radians", mx.radians, -3, 3, mx.float32),
    ("isnan", mx.isnan, -3, 3, mx.float32), ("isinf", mx.isinf, -3, 3, mx.float32),
    ("isfinite", mx.isfinite, -3, 3, mx.float32), ("isposinf", mx.isposinf, -3, 3, mx.float32),
    ("isneginf", mx.isneginf, -3, 3, mx.float32),
    ("logical_not", mx.logical_not, 0, 2, mx.bool_),
    ("bitwise_invert", mx.bitwise_invert, -9, 9, mx.int8),
    ("conjugate", mx.conjugate, -2, 2, mx.complex64), ("real", mx.real, -2, 2, mx.complex64),
    ("imag", mx.imag, -2, 2, mx.complex64),
    ("nan_to_num", lambda a: mx.nan_to_num(mx.log(a)), -2, 2, mx.float32),
    ("astype", lambda a: a.astype(mx.int16), -9, 9, mx.float32),
    ("positive", mx.positive, -3, 3, mx.float32),
    ("operators", lambda a: (-a * 2 + 1) / 3 ** a, -2, 2, mx.float32),
]


@pytest.mark.parametrize("name,f,low,high,dt", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, f, low, high, dt):
    check(f, [(2, 3)], dt, low, high)


def test_unary_scalar_element():
    check(mx.exp, [()], mx.float32)


# ------------------------------------------------------------------ binary

BINARY = [
    ("add", mx.add, mx.float32), ("subtract", mx.subtract, mx.int32),
    ("multiply", mx.multiply, mx.float32), ("divide", mx.divide, mx.float32),
    ("floor_divide", mx.floor_divide, mx.int32), ("remainder", mx.remainder, mx.int32),
    ("power", mx.power, mx.float32), ("maximum", mx.maximum, mx.float32),
    ("minimum", mx.minimum, mx.int64), ("logaddexp", mx.logaddexp, mx.float32),
    ("arctan2", mx.arctan2, mx.float32), ("equal", mx.equal, mx.int32),
    ("not_equal", mx.not_equal, mx.int32), ("less", mx.less, mx.float32),
    ("less_equal", mx.less_equal, mx.int32), ("greater", mx.greater, mx.float32),
    ("greater_equal", mx.greater_equal, mx.float32), ("logical_and", mx.logical_and, mx.bool_),
    ("logical_or", mx.logical_or, mx.bool_), ("bitwise_and", mx.bitwise_and, mx.int32),
    ("bitwise_or", mx.bitwise_or, mx.uint8), ("bitwise_xor", mx.bitwise_xor, mx.int16),
    ("left_shift", mx.left_shift, mx.int32), ("right_shift", mx.right_shift, mx.int32),
]


@pytest.mark.parametrize("name,f,dt", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, f, dt):
    low, high = (1, 5) if name in ("floor_divide", "remainder", "power", "left_shift",
                                   "right_shift", "divide") else (-3, 3)
    check(f, [(2, 3), (2, 3)], dt, low, high)


def test_binary_broadcasting_and_promotion():
    check(mx.add, [(2, 3), (3,)], [mx.float32, mx.int8])
    check(mx.multiply, [(), (2, 1)], [mx.float16, mx.float32])
    check(lambda a, b: a * b - 1.5, [(4, 1, 2), (3, 1)], [mx.float32, mx.int32])


def test_operators_and_python_scalars():
    check(lambda a, b: (a + 1) * (b - 2) / 4 % 3, [(2, 3), (3,)], mx.float32)
    check(lambda a, b: (a < b) | (a >= 1), [(2, 3), (2, 3)], mx.float32)
    check(lambda a: a ** 2 + abs(a), [(4,)], mx.int32)


# ------------------------------------------------------------------ ternary, conversions

def test_where_clip():
    check(mx.where, [(2, 3), (2, 3), (3,)], [mx.bool_, mx.float32, mx.int32])
    check(lambda a, lo: mx.clip(a, lo, 1.0), [(2, 3), ()], mx.float32)
    check(lambda a: mx.clip(a, None, 0.5), [(2, 3)], mx.float32)


@pytest.mark.parametrize("dt", [mx.int32, mx.bool_, mx.float16, mx.complex64, mx.uint8])
def test_astype(dt):
    check(lambda a: mx.astype(a, dt), [(2, 3)], mx.float32, 0, 9)


# ------------------------------------------------------------------ reductions

REDUCTIONS = [
    ("sum", lambda a, ax, kd: mx.sum(a, axis=ax, keepdims=kd), mx.int8),
    ("prod", lambda a, ax, kd: mx.prod(a, axis=ax, keepdims=kd), mx.float32),
    ("max", lambda a, ax, kd: mx.max(a, axis=ax, keepdims=kd), mx.float32),
    ("min", lambda a, ax, kd: mx.min(a, axis=ax, keepdims=kd), mx.int32),
    ("mean", lambda a, ax, kd: mx.mean(a, axis=ax, keepdims=kd), mx.float32),
    ("var", lambda a, ax, kd: mx.var(a, axis=ax, keepdims=kd, ddof=1), mx.float32),
    ("std", lambda a, ax, kd: mx.std(a, axis=ax, keepdims=kd), mx.float32),
    ("logsumexp", lambda a, ax, kd: mx.logsumexp(a, axis=ax, keepdims=kd), mx.float32),
    ("all", lambda a, ax, kd: mx.all(a, axis=ax, keepdims=kd), mx.bool_),
    ("any", lambda a, ax, kd: mx.any(a, axis=ax, keepdims=kd), mx.bool_),
]


@pytest.mark.parametrize("name,f,dt", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), [2, 1]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, f, dt, axis, keepdims):
    check(lambda a: f(a, axis, keepdims), [(2, 3, 4)], dt, -2, 2)


@pytest.mark.parametrize("f", [mx.argmax, mx.argmin])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_arg_reductions(f, axis, keepdims):
    check(lambda a: f(a, axis=axis, keepdims=keepdims), [(2, 3, 4)], mx.float32)


def test_method_reductions():
    check(lambda a: a.sum(axis=1) + a.mean() - a.max(0).min(), [(3, 4)], mx.float32)


# ------------------------------------------------------------------ views and shapes

VIEWS = [
    ("reshape", lambda a: mx.reshape(a, (3, -1))),
    ("reshape method", lambda a: a.reshape(12)),
    ("flatten", lambda a: mx.flatten(a)),
    ("flatten part", lambda a: mx.flatten(a, 1, 2)),
    ("unflatten", lambda a: mx.unflatten(a, 2, (2, 2))),
    ("transpose", lambda a: mx.transpose(a, (1, 2, 0))),
    ("transpose default", lambda a: mx.transpose(a)),
    ("T", lambda a: a.T),
    ("swapaxes", lambda a: mx.swapaxes(a, 0, 2)),
    ("moveaxis", lambda a: mx.moveaxis(a, 0, -1)),
    ("squeeze", lambda a: mx.squeeze(a)),
    ("squeeze axis", lambda a: mx.squeeze(a, 1)),
    ("expand_dims", lambda a: mx.expand_dims(a, (0, -1))),
    ("broadcast_to", lambda a: mx.broadcast_to(a, (2, 3, 5, 4))),
    ("index int", lambda a: a[1]),
    ("index slices", lambda a: a[::2, :, 1:3]),
    ("index negative step", lambda a: a[::-1, ..., ::-2]),
    ("index newaxis", lambda a: a[None, ..., None, 0]),
    ("split", lambda a: mx.split(a, 2, axis=2)[1]),
    ("split indices", lambda a: mx.split(a, [1, 3], axis=-1)[2] * 2),
    ("flip", lambda a: mx.flip(a, 2) if hasattr(mx, "flip") else a),
    ("matrix_transpose", lambda a: mx.matrix_transpose(a)),
    ("tile", lambda a: mx.tile(a, (2, 1, 2))),
    ("repeat", lambda a: mx.repeat(a, 2, axis=2)),
    ("repeat flat", lambda a: mx.repeat(a, 2)),
    ("pad", lambda a: mx.pad(a, ((1, 0), (0, 2), (1, 1)))),
    ("pad edge", lambda a: mx.pad(a, 1, mode="edge")),
    ("atleast_3d", lambda a: mx.atleast_3d(a[0, 0])),
    ("unstack", lambda a: mx.unstack(a, axis=2)[1]),
]


@pytest.mark.parametrize("name,f", VIEWS, ids=[v[0] for v in VIEWS])
def test_views(name, f):
    check(f, [(3, 1, 4)], mx.float32)


def test_pad_mapped_value():
    check(lambda a, v: mx.pad(a, ((1, 0), (2, 1)), constant_values=v), [(2, 3), ()], mx.float32)


def test_broadcast_unmapped_and_mapped():
    check(lambda a, b: mx.broadcast_arrays(a, b)[1] + 0, [(2, 1), (3,)], mx.float32)


# ------------------------------------------------------------------ joins

@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(axis):
    shapes = {0: [(1, 3), (2, 3)], 1: [(2, 1), (2, 3)], -1: [(2, 2), (2, 3)]}[axis]
    check(lambda a, b: mx.concatenate([a, b], axis=axis), shapes, [mx.float32, mx.int32])


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(axis):
    check(lambda a, b: mx.stack([a, b, a], axis=axis), [(2, 3), (2, 3)], mx.float32)


# ------------------------------------------------------------------ matmul

@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                   ((5, 2, 3), (3, 4)), ((3,), (5, 3, 2)), ((2, 1, 2, 3), (5, 3, 2))])
def test_matmul(sa, sb):
    check(mx.matmul, [sa, sb], mx.float32, -2, 2)
    check(lambda a, b: a @ b, [sa, sb], [mx.int32, mx.float32], -2, 2, out_axes=(0,))


# ------------------------------------------------------------------ creation

def test_creation_inside():
    check(lambda a: mx.full((2, 3), a.sum()), [(4,)], mx.float32)
    check(lambda a: mx.zeros_like(a) + mx.ones_like(a) * a, [(2, 3)], mx.float32)
    check(lambda a: mx.triu(a + mx.eye(4) + mx.arange(4)) - mx.tril(a, -1), [(4, 4)], mx.float32)
    check(lambda a: a * mx.linspace(0, 1, 3) + mx.tri(2, 3), [(2, 3)], mx.float32)
    check(lambda a: mx.full_like(a, 2.5) * a, [(2, 3)], mx.float32)


def test_composite():
    def mlp(x, w, b):
        h = mx.tanh(x @ w + b)
        return h - mx.logsumexp(h, axis=-1, keepdims=True)
    check(mlp, [(2, 3), (3, 4), (4,)], mx.float32, -1, 1)


# ------------------------------------------------------------------ axes

def test_in_axes_forms():
    x = mx.array(sample((3, 2), mx.float32))
    y = mx.array(sample((2,), mx.float32, seed=1))
    want = loop(lambda a, b: a * b, [x, y], [0, None])
    for in_axes in [(0, None), (-2, None), ((0,), None), (0, (None,))]:
        if isinstance(in_axes[0], tuple) or isinstance(in_axes[1], tuple):
            with pytest.raises(ValueError, match=r"\[vmap\] axis must be int or None."):
                mx.vmap(lambda a, b: a * b, in_axes=in_axes)(x, y)
            continue
        assert_same(mx.vmap(lambda a, b: a * b, in_axes=in_axes)(x, y), want)
    # one argument: the 1-tuple form and bools (ints in Python)
    assert_same(mx.vmap(lambda a: a * 2, in_axes=(1,))(x), loop(lambda a: a * 2, [x], [1]))
    assert_same(mx.vmap(lambda a: a * 2, in_axes=True)(x), loop(lambda a: a * 2, [x], [1]))
    assert_same(mx.vmap(lambda a: a * 2, in_axes=-1)(x), loop(lambda a: a * 2, [x], [1]))


def test_out_axes_forms():
    x = mx.array(sample((3, 2, 4), mx.float32))
    f = lambda a: a * 2  # noqa: E731
    for oa, want_axis in [(0, 0), (1, 1), (2, 2), (-1, 2), (-3, 0), ((1,), 1)]:
        assert_same(mx.vmap(f, out_axes=oa)(x), loop(f, [x], [0], want_axis))


def test_trees_of_inputs():
    x = mx.array(sample((3, 2), mx.float32))
    y = mx.array(sample((2, 3), mx.float32, seed=1))
    z = mx.array(sample((2,), mx.float32, seed=2))
    # a list argument with a list of axes
    got = mx.vmap(lambda l: l[0] + l[1], in_axes=[0, 1])([x, y])
    assert_same(got, loop(lambda a, b: a + b, [x, y], [0, 1]))
    # a dict argument with a dict of axes, None for one entry
    got = mx.vmap(lambda d: d["a"] * d["b"], in_axes={"a": 0, "b": None})({"a": x, "b": z})
    assert_same(got, loop(lambda a, b: a * b, [x, z], [0, None]))
    # dict axes in another order than the dict
    got = mx.vmap(lambda d: d["a"] * d["b"], in_axes={"b": None, "a": 1})({"a": y, "b": z})
    assert_same(got, loop(lambda a, b: a * b, [y, z], [1, None]))
    # several arguments, nested: (dict, tuple of arrays, array)
    f = lambda d, t, w: d["p"] + t[0] * t[1] - w  # noqa: E731
    got = mx.vmap(f, in_axes=({"p": 0}, (None, 1), 0))({"p": x}, (z, y), x)
    assert_same(got, loop(lambda p, t0, t1, w: p + t0 * t1 - w, [x, z, y, x], [0, None, 1, 0]))
    # an int broadcast over a whole subtree
    got = mx.vmap(lambda t, w: t[0] + t[1] + w, in_axes=(0, None))((x, x), z)
    assert_same(got, loop(lambda a, b, w: a + b + w, [x, x, z], [0, 0, None]))


def test_trees_of_outputs():
    x = mx.array(sample((3, 2), mx.float32))
    z = mx.array(sample((2,), mx.float32, seed=2))
    out = mx.vmap(lambda a, b: (a, {"s": a * b, "t": [b, a + 1]}),
                  in_axes=(0, None), out_axes=(1, {"s": 0, "t": [None, -1]}))(x, z)
    assert isinstance(out, tuple) and isinstance(out[1], dict) and isinstance(out[1]["t"], list)
    assert_same(out[0], mx.transpose(x))
    assert_same(out[1]["s"], x * z)
    assert_same(out[1]["t"][0], z)              # unmapped, out axis None: as it is
    assert_same(out[1]["t"][1], mx.transpose(x + 1))
    # a list result and a list of axes
    out = mx.vmap(lambda a: [a, a * 2], out_axes=[0, 1])(x)
    assert isinstance(out, list)
    assert_same(out[1], mx.transpose(x * 2))
    # empty results
    assert mx.vmap(lambda a: ())(x) == ()
    assert mx.vmap(lambda a: [])(x) == []


def test_unmapped_outputs_are_broadcast():
    x = mx.array(sample((3, 2), mx.float32))
    z = mx.array([5.0, 6.0])
    assert_same(mx.vmap(lambda a: mx.ones((2,)))(x), mx.ones((3, 2)))
    assert_same(mx.vmap(lambda a: mx.ones((2,)), out_axes=1)(x), mx.ones((2, 3)))
    assert_same(mx.vmap(lambda a, b: b, in_axes=(0, None))(x, z), mx.broadcast_to(z, (3, 2)))
    got = mx.vmap(lambda a, b: (a, b), in_axes=(0, None), out_axes=(0, 1))(x, z)
    assert_same(got[1], mx.broadcast_to(z[:, None], (2, 3)))
    # identity on a mapped input moves its axis
    assert_same(mx.vmap(lambda a: a, in_axes=1)(x), mx.transpose(x))


def test_none_axes():
    x = mx.array(sample((3, 2), mx.float32))
    z = mx.array(sample((2,), mx.float32, seed=2))
    # None inside trees, for inputs and for unmapped outputs
    got = mx.vmap(lambda a, b: (a * b, b * 2), in_axes=(0, None), out_axes=(0, None))(x, z)
    assert_same(got[0], x * z)
    assert_same(got[1], z * 2)
    got = mx.vmap(lambda a, b: a * b, in_axes=(None, 0))(z, x)
    assert_same(got, x * z)
    # ember departure: a top-level None works too (MLX's binding refuses it)
    assert_same(mx.vmap(lambda a: mx.ones((2,)), out_axes=None)(x), mx.ones((2,)))


def test_empty_batch():
    x = mx.zeros((0, 3))
    assert mx.vmap(lambda a: mx.exp(a).sum())(x).shape == (0,)
    assert mx.vmap(lambda a: a * 2, out_axes=1)(x).shape == (3, 0)


def test_nested_vmap():
    x = mx.array(sample((4, 3, 5), mx.float32))
    got = mx.vmap(mx.vmap(lambda a: a.sum(), in_axes=1))(x)
    assert_same(got, x.sum(axis=1))
    got = mx.vmap(mx.vmap(lambda a, b: a * b, in_axes=(0, None)), in_axes=(2, 0))(x, x[0, 0])
    assert got.shape == (5, 4, 3)
    assert_same(got, mx.moveaxis(x, 2, 0) * x[0, 0][:, None, None])
    # three levels, each over a different axis
    y = mx.array(sample((2, 3, 4, 5), mx.float32, seed=3))
    f = mx.vmap(mx.vmap(mx.vmap(lambda v: mx.sum(v * v), in_axes=1), in_axes=0), in_axes=3)
    assert_same(f(y), mx.transpose(mx.sum(y * y, axis=1), (2, 0, 1)))
    # matmul under two vmaps
    a = mx.array(sample((2, 3, 4, 5), mx.float32))
    b = mx.array(sample((5, 6), mx.float32))
    f = mx.vmap(mx.vmap(lambda p, q: p @ q, in_axes=(0, None)), in_axes=(1, None))
    assert_same(f(a, b), mx.transpose(a @ b, (1, 0, 2, 3)))


def test_data_dependent_and_eval():
    x = mx.array(sample((3, 2), mx.float32))
    msg = r"\[eval\] Attempting to eval an array during function transformations like compile or vmap is not allowed."
    with pytest.raises(ValueError, match=msg):
        mx.vmap(lambda a: a * a.sum().item())(x)
    with pytest.raises(ValueError, match=msg):
        mx.vmap(lambda a: (mx.eval(a), a)[1])(x)
    y = mx.array([1.0, 2.0])
    assert_same(mx.vmap(lambda a: (mx.eval(y), a + y)[1])(x), x + y)
    # after an error, vmap and eval work again
    assert_same(mx.vmap(lambda a: a + 1)(x), x + 1)


def test_reuse_and_no_leaks():
    import gc
    f = mx.vmap(lambda a, b: mx.sum(a * b, axis=0), in_axes=(1, None))
    a = mx.array(sample((4, 3), mx.float32))
    b = mx.array(sample((4,), mx.float32, seed=1))
    first = f(a, b)
    mx.eval(first)
    gc.collect()
    base = mx.get_active_memory()
    for _ in range(20):
        mx.eval(f(a, b))
    gc.collect()
    assert mx.get_active_memory() <= base + 4096
    assert_same(f(a, b), first)


# ------------------------------------------------------------------ errors

def test_errors():
    x = mx.ones((3, 2))
    with pytest.raises(ValueError, match=r"\[vmap\] Inconsistent axis sizes: 3 and 4."):
        mx.vmap(lambda a, b: a + b)(x, mx.ones((4, 2)))
    with pytest.raises(ValueError, match=r"\[vmap\] Inconsistent axis sizes: 5 and 4."):
        mx.vmap(lambda a, b: a + b, in_axes=(1, 0))(mx.ones((2, 5)), mx.ones((4, 2)))
    with pytest.raises(IndexError, match=r"\[vmap\] Invalid vectorization axis 2 for array with shape \(3,2\)"):
        mx.vmap(lambda a: a, in_axes=2)(x)
    with pytest.raises(IndexError, match=r"\[vmap\] Invalid vectorization axis -1 for array with shape \(3,2\)"):
        mx.vmap(lambda a: a, in_axes=-3)(x)
    with pytest.raises(IndexError, match=r"\[vmap\] Invalid vectorization axis 0 for array with shape \(\)"):
        mx.vmap(lambda a: a)(mx.array(1.0))
    with pytest.raises(IndexError, match=r"\[vmap\] Invalid output vectorization axis 2 for array with shape \(2\)"):
        mx.vmap(lambda a: a * 2, out_axes=2)(x)
    with pytest.raises(IndexError, match=r"\[vmap\] Invalid output vectorization axis -1 for array with shape \(2\)"):
        mx.vmap(lambda a: a * 2, out_axes=-3)(x)
    with pytest.raises(ValueError, match=r"\[vmap\] Axis -1 invalid for output with 2 dimensions."):
        mx.vmap(lambda a: (a * 2,), out_axes=(None,))(x)
    with pytest.raises(ValueError, match=r"At least one of in_axes must be non-None."):
        mx.vmap(lambda a: a, in_axes=(None,))(x)
    with pytest.raises(ValueError, match=r"At least one of in_axes must be non-None."):
        mx.vmap(lambda: mx.ones(3))()
    with pytest.raises(ValueError, match=r"\[vmap\] axis must be int or None."):
        mx.vmap(lambda a: a, in_axes="a")(x)
    with pytest.raises(ValueError, match=r"\[vmap\] axis must be int or None."):
        mx.vmap(lambda a: a, in_axes=1.0)(x)
    with pytest.raises(ValueError, match=r"\[vmap\] axis must be int or None."):
        mx.vmap(lambda a: a, in_axes=[0])(x)
    with pytest.raises(ValueError, match=r"\[vmap\] axis must be int or None."):
        mx.vmap(lambda a, b: a, in_axes=((0,), 0))(x, x)
    with pytest.raises(ValueError, match=r"\[vmap\] axis must be int or None."):
        mx.vmap(lambda a: (a, a), out_axes=((0,), 1))(x)
    prefix = r"\[tree_map\] Additional input tree is not a valid prefix of the first tree."
    for in_axes, args in [((0,), (x, x)), ([0, 0], (x, x)), ((0, 0, 0), (x, x)),
                          ((0, 1), ([x, x],)), ({"a": 0}, ({"a": x, "b": x},)),
                          ({"a": 0}, (x, x))]:
        with pytest.raises(ValueError, match=prefix):
            mx.vmap(lambda *a: x, in_axes=in_axes)(*args)
    with pytest.raises(ValueError, match=r"\[tree_visit\] Tree is not a valid prefix tree of the first tree."):
        mx.vmap(lambda d: d["a"], in_axes={"a": 0, "c": None})({"a": x, "b": x})
    with pytest.raises(ValueError, match=prefix):
        mx.vmap(lambda a: (a, a), out_axes=(0, 1, 2))(x)
    with pytest.raises(ValueError, match=prefix):
        mx.vmap(lambda a: [a, a], out_axes=(0, 1))(x)
    flat = r"\[tree_flatten\] The argument should contain only arrays"
    with pytest.raises(ValueError, match=flat):
        mx.vmap(lambda a, n: a * n, in_axes=(0, None))(x, 3)
    with pytest.raises(ValueError, match=flat):
        mx.vmap(lambda a: 3)(x)
    with pytest.raises(ValueError, match=flat):
        mx.vmap(lambda a: (a, "s"))(x)
    with pytest.raises(TypeError, match=r"\[vmap\] Keyword arguments are not supported."):
        mx.vmap(lambda a, b=1: a)(x, b=2)
    with pytest.raises(TypeError):
        mx.vmap(3)
    with pytest.raises(TypeError):
        mx.vmap(lambda a: a, in_axes=0, bad=1)
    # errors raised inside the function come out unchanged
    with pytest.raises(ValueError, match=r"\[reshape\] Cannot reshape array of size 2 into shape \(5\)."):
        mx.vmap(lambda a: mx.reshape(a, (5,)))(x)
    with pytest.raises(ValueError, match=r"\[broadcast_shapes\] Shapes \(3\) and \(2\) cannot be broadcast."):
        mx.vmap(lambda a: mx.ones(3) + a)(x)

    class Boom(Exception):
        pass

    def boom(a):
        raise Boom("inside")
    with pytest.raises(Boom, match="inside"):
        mx.vmap(boom)(x)
    # and nothing sticks
    assert_same(mx.vmap(lambda a: a * 2)(x), x * 2)


def test_signature_and_stub():
    import inspect
    sig = inspect.signature(mx.vmap)
    assert list(sig.parameters) == ["fun", "in_axes", "out_axes"]
    assert sig.parameters["in_axes"].default == 0 and sig.parameters["out_axes"].default == 0


# ------------------------------------------------------------------ with the other transforms

SMOOTH = [
    ("exp", mx.exp, -1, 1), ("sin", mx.sin, -2, 2), ("tanh", mx.tanh, -2, 2),
    ("sigmoid", mx.sigmoid, -2, 2), ("log", mx.log, 0.5, 2), ("sqrt", mx.sqrt, 0.5, 2),
    ("square", mx.square, -2, 2), ("erf", mx.erf, -1, 1), ("arctan", mx.arctan, -2, 2),
    ("reshape", lambda a: mx.reshape(a, (-1,)) * mx.arange(6), -2, 2),
    ("transpose", lambda a: mx.transpose(a) * mx.arange(2), -2, 2),
    ("slice", lambda a: a[::-1, 1:] ** 2, -2, 2),
    ("broadcast", lambda a: mx.broadcast_to(a[:, None], (2, 4, 3)) * mx.arange(3), -2, 2),
    ("sum", lambda a: mx.sum(a * a, axis=1), -2, 2),
    ("prod", lambda a: mx.prod(a, axis=0), 0.5, 2),
    ("max", lambda a: mx.max(a, axis=-1), -2, 2),
    ("mean", lambda a: mx.mean(a ** 3, axis=0, keepdims=True), -2, 2),
    ("var", lambda a: mx.var(a), -2, 2),
    ("logsumexp", lambda a: mx.logsumexp(a, axis=1), -2, 2),
    ("concatenate", lambda a: mx.concatenate([a, a * a], axis=0) ** 2, -2, 2),
    ("pad", lambda a: mx.pad(a * a, ((1, 0), (0, 2)), constant_values=a[0, 0]), -2, 2),
    ("where", lambda a: mx.where(a > 0, a * a, mx.sin(a)), -2, 2),
    ("clip", lambda a: mx.clip(a, -1.0, 1.0) * a, -2, 2),
    ("matmul", lambda a: a @ mx.transpose(a), -2, 2),
    ("astype", lambda a: a.astype(mx.float32).astype(mx.float64) ** 2, -2, 2),
]


def grad_loop(f, x, axis):
    return loop(mx.grad(lambda v: mx.sum(f(v))), [x], [axis], axis)


@pytest.mark.parametrize("name,f,low,high", SMOOTH, ids=[s[0] for s in SMOOTH])
def test_vmap_of_grad_and_grad_of_vmap(name, f, low, high):
    g = mx.grad(lambda v: mx.sum(f(v)))
    for axis in (0, 1, 2):
        x = batched((2, 3), axis, mx.float64, low, high)
        want = grad_loop(f, x, axis)
        assert_same(mx.vmap(g, in_axes=axis, out_axes=axis)(x), want)
        h = mx.grad(lambda v: mx.sum(mx.vmap(f, in_axes=axis)(v)))
        assert_same(h(x), want)


@pytest.mark.parametrize("name,f,low,high", SMOOTH[:9] + SMOOTH[13:16], ids=[s[0] for s in SMOOTH[:9] + SMOOTH[13:16]])
def test_vmap_of_jvp_and_vjp(name, f, low, high):
    x = batched((2, 3), 1, mx.float64, low, high)
    t = batched((2, 3), 1, mx.float64, -1, 1, seed=5)
    jv = lambda p, q: mx.jvp(f, [p], [q])[1][0]  # noqa: E731
    assert_same(mx.vmap(jv, in_axes=(1, 1))(x, t), loop(jv, [x, t], [1, 1]))
    c = mx.ones_like(f(take(x, 1, 0)))
    vj = lambda p: mx.vjp(f, [p], [c])[1][0]  # noqa: E731
    assert_same(mx.vmap(vj, in_axes=1)(x), loop(vj, [x], [1]))
    # jvp of the vmapped function
    got = mx.jvp(mx.vmap(f, in_axes=1), [x], [t])[1][0]
    assert_same(got, mx.vmap(jv, in_axes=(1, 1))(x, t))


def test_grad_compositions():
    x = mx.array(sample((4, 3), mx.float64), dtype=mx.float64)
    w = mx.array(sample((3,), mx.float64, seed=1), dtype=mx.float64)
    loss = lambda v, p: mx.sum(mx.tanh(v * p) ** 2)  # noqa: E731
    # per-example gradients with respect to the shared parameter
    per = mx.vmap(mx.grad(loss, argnums=1), in_axes=(0, None))(x, w)
    assert_same(per, loop(mx.grad(loss, argnums=1), [x, w], [0, None]))
    # value_and_grad under vmap: a tuple of trees comes back
    vals, grads = mx.vmap(mx.value_and_grad(loss, argnums=(0, 1)), in_axes=(0, None))(x, w)
    assert_same(vals, loop(loss, [x, w], [0, None]))
    assert_same(grads[0], loop(mx.grad(loss), [x, w], [0, None]))
    # the sum over the batch of per-example gradients is the full gradient
    full = mx.grad(lambda p: mx.sum(mx.vmap(loss, in_axes=(0, None))(x, p)))(w)
    assert_same(full, per.sum(axis=0))
    # second derivatives inside and outside
    d2 = mx.vmap(mx.grad(mx.grad(lambda v: mx.sin(v) * v)))(x[:, 0])
    assert_same(d2, 2 * mx.cos(x[:, 0]) - x[:, 0] * mx.sin(x[:, 0]))
    gg = mx.grad(lambda v: mx.sum(mx.vmap(mx.grad(lambda u: u ** 3))(v)))(x[:, 0])
    assert_same(gg, 6 * x[:, 0])
    # vmap(vmap(grad))
    vv = mx.vmap(mx.vmap(mx.grad(lambda u: mx.exp(u) * u)), in_axes=1, out_axes=1)(x)
    assert_same(vv, mx.exp(x) * (x + 1))


def test_stop_gradient_under_vmap():
    x = mx.array(sample((3, 2), mx.float64), dtype=mx.float64)
    assert_same(mx.vmap(lambda v: mx.stop_gradient(v) * 2)(x), x * 2)
    g = mx.grad(lambda v: mx.sum(mx.vmap(lambda u: mx.stop_gradient(u) * u)(v)))(x)
    assert_same(g, x)


def test_custom_function_vmap_rule():
    calls = []

    @mx.custom_function
    def f(x, y):
        return x * y

    @f.vmap
    def f_vmap(inputs, axes):
        calls.append((type(inputs), len(inputs), axes))
        x, y = inputs
        ax, ay = axes
        x = mx.moveaxis(x, ax, 0) if ax is not None else x[None]
        y = mx.moveaxis(y, ay, 0) if ay is not None else y[None]
        return x * y + 100, 0

    x = mx.arange(6).reshape(3, 2).astype(mx.float32)
    assert mx.vmap(f)(x, x).tolist() == [[100.0, 101.0], [104.0, 109.0], [116.0, 125.0]]
    assert calls[-1] == (tuple, 2, (0, 0))
    got = mx.vmap(f, in_axes=(1, None))(x, mx.array([1.0, 2.0, 3.0]))
    assert got.tolist() == [[100.0, 104.0, 112.0], [101.0, 106.0, 115.0]]
    assert calls[-1] == (tuple, 2, (1, None))
    # outside vmap the function runs as it is
    assert f(x, x).tolist() == (x * x).tolist()

    @mx.custom_function
    def g(x):
        return x * 2, x * 3

    @g.vmap
    def g_vmap(inputs, axes):
        return (inputs * 2 + 1, inputs * 3 + 1), (axes, axes)

    a, b = mx.vmap(g, in_axes=1)(x)
    assert a.tolist() == (mx.transpose(x) * 2 + 1).tolist()
    assert b.tolist() == (mx.transpose(x) * 3 + 1).tolist()


def test_custom_function_default_vmap_and_checkpoint():
    @mx.custom_function
    def f(x):
        return mx.sin(x) * 2

    @f.vjp
    def f_vjp(primals, cotangents, outputs):
        return cotangents * 5

    x = mx.array(sample((3, 4), mx.float64), dtype=mx.float64)
    # no vmap rule: vmap of the function itself
    assert_same(mx.vmap(f, in_axes=1, out_axes=1)(x), mx.sin(x) * 2)
    # the custom vjp still applies under vmap, either way round
    assert_same(mx.vmap(mx.grad(lambda v: mx.sum(f(v))))(x), mx.full((3, 4), 5.0, dtype=mx.float64))
    assert_same(mx.grad(lambda v: mx.sum(mx.vmap(f)(v)))(x), mx.full((3, 4), 5.0, dtype=mx.float64))
    c = mx.checkpoint(lambda v: mx.sum(mx.exp(v) * v))
    assert_same(mx.vmap(c)(x), mx.sum(mx.exp(x) * x, axis=1))
    assert_same(mx.vmap(mx.grad(c))(x), mx.exp(x) * (x + 1))


def test_compile_and_vmap():
    x = mx.array(sample((3, 4), mx.float32))
    f = lambda v: mx.sum(v * 2, axis=-1) + 1  # noqa: E731
    assert_same(mx.vmap(mx.compile(f))(x), f(x))
    cf = mx.compile(mx.vmap(f, in_axes=1))
    assert_same(cf(x), mx.sum(x * 2, axis=0) + 1)
    assert_same(cf(x * 3), mx.sum(x * 6, axis=0) + 1)


def test_captured_arrays_of_an_outer_vmap():
    """Inner functions that close over the outer vmap's placeholder (values
    recorded from MLX 0.32)."""
    xs = mx.array(np.arange(6, dtype=np.float32).reshape(3, 2))
    ys = mx.array(np.arange(8, dtype=np.float32).reshape(4, 2))
    w0 = mx.array([1.0, 2.0])
    got = mx.vmap(lambda x: mx.vmap(lambda y: x * y)(ys))(xs)
    assert got.tolist() == [[[0, 1], [0, 3], [0, 5], [0, 7]], [[0, 3], [4, 9], [8, 15], [12, 21]],
                            [[0, 5], [8, 15], [16, 25], [24, 35]]]
    got = mx.vmap(lambda x: mx.grad(lambda w: (w * x * w).sum())(w0))(xs)
    assert got.tolist() == [[0, 4], [4, 12], [8, 20]]
    got = mx.vmap(lambda x: mx.vmap(lambda y: (x * y).sum())(ys))(xs)
    assert got.tolist() == [[1, 3, 5, 7], [3, 13, 23, 33], [5, 23, 41, 59]]
    f = mx.custom_function(lambda a: a * 2)
    got = mx.vmap(lambda x: mx.vmap(lambda y: f(x) + y)(ys))(xs)
    assert_same(got, xs[:, None, :] * 2 + ys[None])
