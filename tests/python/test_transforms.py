"""Function transformations: grad, value_and_grad, vjp, jvp, stop_gradient,
checkpoint, custom_function, compile. Every differentiable op is checked
(vjp and jvp) against central finite differences in float64 on random inputs
of several shapes, broadcasting included; MLX's zero derivatives, tree
handling, compositions and error messages are checked against what MLX 0.32
gives (recorded from it)."""
import gc

import numpy as np
import pytest

import ember.core as mx
from conftest import assert_array

RNG = np.random.default_rng(7)


def arr(x):
    return mx.array(np.asarray(x, dtype=np.float64), dtype=mx.float64)


def rand(shape, lo=-2.0, hi=2.0):
    return RNG.uniform(lo, hi, size=shape)


def fd_check(f, xs, tol=1e-6):
    """vjp and jvp of f at the float64 NumPy inputs xs against central
    differences: the vjp for every input element, the jvp along a random
    direction."""
    h = 1e-6
    prim = [arr(x) for x in xs]
    outs = f(*prim)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    ws = [rand(o.shape, -1, 1) for o in outs]

    def probe(points):
        ys = f(*[arr(p) for p in points])
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        return sum(float((np.array(y).astype(np.float64) * w).sum()) for y, w in zip(ys, ws))

    _, vjps = mx.vjp(f, prim, [arr(w) for w in ws])
    for i, x in enumerate(xs):
        assert vjps[i].shape == np.shape(x) and vjps[i].dtype == mx.float64
        got = np.array(vjps[i]).reshape(-1)
        for j in range(np.size(x)):
            up = [np.array(p, dtype=np.float64) for p in xs]
            dn = [np.array(p, dtype=np.float64) for p in xs]
            up[i].reshape(-1)[j] += h
            dn[i].reshape(-1)[j] -= h
            want = (probe(up) - probe(dn)) / (2 * h)
            assert abs(got[j] - want) <= tol * (1 + abs(want)), (i, j, got[j], want)
    ts = [rand(np.shape(x), -1, 1) for x in xs]
    _, jvps = mx.jvp(f, prim, [arr(t) for t in ts])
    got = sum(float((np.array(t) * w).sum()) for t, w in zip(jvps, ws))
    want = (probe([x + h * t for x, t in zip(xs, ts)]) - probe([x - h * t for x, t in zip(xs, ts)])) / (2 * h)
    assert abs(got - want) <= tol * (1 + abs(want)), (got, want)


# ---------------------------------------------------------------- elementwise

UNARY = {
    "abs": (-2, 2), "negative": (-2, 2), "exp": (-2, 2), "expm1": (-2, 2), "log": (0.5, 3),
    "log1p": (-0.5, 3), "log2": (0.5, 3), "log10": (0.5, 3), "sqrt": (0.5, 3), "rsqrt": (0.5, 3),
    "square": (-2, 2), "reciprocal": (0.5, 3), "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2),
    "arcsin": (-0.8, 0.8), "arccos": (-0.8, 0.8), "arctan": (-3, 3), "sinh": (-2, 2),
    "cosh": (-2, 2), "tanh": (-2, 2), "arcsinh": (-2, 2), "arccosh": (1.2, 3),
    "arctanh": (-0.8, 0.8), "erf": (-2, 2), "erfinv": (-0.8, 0.8), "sigmoid": (-3, 3),
    "floor": (-3, 3), "ceil": (-3, 3), "round": (-3, 3), "sign": (-3, 3), "degrees": (-3, 3),
    "radians": (-3, 3), "nan_to_num": (-3, 3),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_unary_finite_differences(name, shape):
    lo, hi = UNARY[name]
    fd_check(getattr(mx, name), [rand(shape, lo, hi)])


BINARY = {
    "add": (-2, 2), "subtract": (-2, 2), "multiply": (-2, 2), "divide": (0.5, 2),
    "power": (0.5, 2), "maximum": (-2, 2), "minimum": (-2, 2), "logaddexp": (-2, 2),
    "arctan2": (0.2, 2), "remainder": (0.3, 3), "floor_divide": (0.3, 3),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((3, 1), (1, 4)), ((), (2, 2))])
def test_binary_finite_differences(name, shapes):
    lo, hi = BINARY[name]
    fd_check(getattr(mx, name), [rand(s, lo, hi) for s in shapes])


def test_operators_and_where_clip():
    fd_check(lambda a, b: (a * b - a / (b * b + 1)) ** 2 + (-a), [rand((2, 3)), rand((3,))])
    fd_check(lambda a, b: mx.where(a > b, a * 2, mx.sin(b)), [rand((2, 3)), rand((2, 1))])
    fd_check(lambda a: mx.clip(a, -0.5, 0.5), [rand((4,))])
    fd_check(lambda a: mx.triu(a, 1) + mx.tril(a), [rand((3, 3))])


# ---------------------------------------------------------------- reductions

REDUCE_AXES = [None, 0, 1, (0, 2), -1]


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "logsumexp", "var", "std"])
@pytest.mark.parametrize("axis", REDUCE_AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_finite_differences(name, axis, keepdims):
    fd_check(lambda a: getattr(mx, name)(a, axis=axis, keepdims=keepdims), [rand((2, 3, 4))])


def test_reduction_special_points():
    # MLX 0.32: ties share the cotangent, products skip the zero
    assert_array(mx.grad(mx.max)(mx.array([1.0, 1.0, 0.0])), [0.5, 0.5, 0.0], mx.float32)
    assert_array(mx.grad(mx.min)(mx.array([1.0, 0.0, 0.0])), [0.0, 0.5, 0.5], mx.float32)
    assert_array(mx.grad(mx.prod)(mx.array([2.0, 0.0, 3.0])), [0, 6, 0], mx.float32)
    assert_array(mx.grad(mx.prod)(mx.array([2.0, 0.0, 0.0])), [0, 0, 0], mx.float32)
    # forward mode picks the first extreme element (MLX's argmax)
    _, (t,) = mx.jvp(mx.max, [mx.array([3.5, 4, 4])], [mx.array([1.0, 2, 3])])
    assert t.item() == 2
    _, (t,) = mx.jvp(mx.prod, [mx.array([3.5, 4, 4])], [mx.array([1.0, 2, 3])])
    assert t.item() == pytest.approx(86)
    assert_array(mx.grad(mx.logsumexp)(mx.array([-1.0, 2.0])), [0.0474259, 0.952574], rtol=1e-5)
    assert_array(mx.grad(mx.var)(mx.array([-1.0, 2.0])), [-1.5, 1.5])
    assert_array(mx.grad(mx.std)(mx.array([-1.0, 2.0])), [-0.5, 0.5])


# ---------------------------------------------------------------- shapes

SHAPE_FNS = {
    "reshape": lambda a: a.reshape(3, 2, 4),
    "transpose": lambda a: mx.transpose(a, (2, 0, 1)),
    "swapaxes": lambda a: mx.swapaxes(a, 0, 2),
    "moveaxis": lambda a: mx.moveaxis(a, 0, -1),
    "flatten": lambda a: mx.flatten(a, 1, 2),
    "squeeze/expand_dims": lambda a: mx.squeeze(mx.expand_dims(a, (0, 2)), 0),
    "broadcast_to": lambda a: mx.broadcast_to(a[:, :1], (5, 2, 3, 4)),
    "slice": lambda a: a[1:, ::2, 1::2],
    "slice negative": lambda a: a[::-1, 2::-1, 3:0:-2],
    "slice step 3": lambda a: a[..., ::3],
    "index": lambda a: a[1, 2],
    "split": lambda a: mx.split(a, [1, 3], axis=2)[0] * mx.split(a, [1, 3], axis=2)[2],
    "concatenate": lambda a: mx.concatenate([a, mx.sin(a), a], axis=1),
    "stack": lambda a: mx.stack([mx.exp(a), a], axis=-1),
    "pad": lambda a: mx.pad(a, [(1, 0), (0, 2), (2, 1)]),
    "pad edge": lambda a: mx.pad(a, [(1, 2), (0, 2), (3, 1)], mode="edge"),
    "pad value": lambda a: mx.pad(a, 1, constant_values=a.sum()),
    "tile": lambda a: mx.tile(a, (2, 1, 2)),
    "repeat": lambda a: mx.repeat(a, 3, axis=1),
    "full": lambda a: mx.full((2, 2), a.sum(), dtype=mx.float64),
    "copy": lambda a: mx.array(a) * 1,
}


@pytest.mark.parametrize("name", sorted(SHAPE_FNS))
def test_shape_ops_finite_differences(name):
    fd_check(SHAPE_FNS[name], [rand((2, 3, 4))])


def _assigned(a, key, value):
    z = a * 1
    z[key] = value
    return z


INDEX_FNS = {
    "getitem array": lambda a: a[mx.array([1, 0, 1])],
    "getitem mixed": lambda a: a[mx.array([0, 1]), :, mx.array([2, 0])],
    "take": lambda a: mx.take(a, mx.array([2, 0, -1]), axis=2),
    "take_along_axis": lambda a: mx.take_along_axis(a, mx.array([[[2, 0, 1, 2]], [[0, 0, 1, 1]]]), axis=1),
    "setitem slice": lambda a: _assigned(a, (slice(None), slice(0, 2)), mx.sin(a[:, 1:3])),
    "setitem repeated index": lambda a: _assigned(a, mx.array([1, 0, 1]), a[0, :1] * a[1, 1:2] * 3),
    "at add": lambda a: a.at[mx.array([1, 0, 1])].add(mx.exp(a[0])),
    "at maximum": lambda a: a.at[mx.array([1, 0, 1])].maximum(mx.exp(a[1])),
    "at minimum": lambda a: a.at[mx.array([1, 0, 1])].minimum(a[0] * a[1]),
    "put_along_axis": lambda a: mx.put_along_axis(a, mx.array([[[2], [0], [2]], [[1], [1], [0]]]),
                                                  mx.tanh(a[..., :1]), axis=2),
    "slice_update": lambda a: mx.slice_update(a, mx.cos(a[:, :2, :2]), mx.array([1, 2]), axes=(1, 2)),
    "masked setitem": lambda a: _assigned(a, mx.array([[True, False, True], [False, False, True]]),
                                          mx.tanh(a[0])),
    "masked setitem repeated": lambda a: _assigned(a, mx.array([[True, False, True], [False, False, True]]),
                                                   a[1, 1]),
}


@pytest.mark.parametrize("name", sorted(INDEX_FNS))
def test_indexing_finite_differences(name):
    fd_check(INDEX_FNS[name], [rand((2, 3, 4))])


def test_indexing_as_mlx():
    x = mx.array([1.0, 5.0, 3.0, 2.0])
    i = mx.array([0, 2, 2])
    assert mx.grad(lambda x: (x[i] * mx.array([1.0, 2.0, 3.0])).sum())(x).tolist() == [1, 0, 5, 0]
    g = mx.grad(lambda x: (x.at[i].add(x[:3] * 2) ** 2).sum())(x)
    assert g.tolist() == [18, 86, 114, 4]
    assert mx.grad(lambda x: (x.at[i].maximum(x[:3] * 2) ** 2).sum())(x).tolist() == [8, 50, 0, 4]
    m = mx.array([True, False, True, False])
    assert mx.grad(lambda x: (_assigned(x, m, x[:2] * 5) ** 2).sum())(x).tolist() == [50, 260, 0, 4]
    assert mx.grad(lambda x: (_assigned(x, m, x[0]) ** 2).sum())(x).tolist() == [4, 10, 0, 4]
    g = mx.grad(lambda x, u: (mx.slice_update(x, u, mx.array([1]), axes=(0,)) ** 2).sum(), argnums=(0, 1))(
        x, mx.array([7.0, 8.0]))
    assert g[0].tolist() == [2, 0, 0, 4] and g[1].tolist() == [14, 16]
    _, (t,) = mx.jvp(lambda x: x[i], [x], [mx.ones(4)])
    assert t.tolist() == [1, 1, 1]
    # a repeated index: only the write that stays gets the cotangent (MLX
    # gives it to every write; finite differences agree with ember)
    assert mx.grad(lambda x: (_assigned(x, i, x[:3] * 2) ** 2).sum())(x).tolist() == [8, 10, 24, 4]
    raises(ValueError, "[gather] Cannot calculate VJP with respect to indices. Use stop_gradient on indices "
                       "to stop gradients from being computed.",
           lambda: mx.grad(lambda x: x[x.astype(mx.int32) % 4].sum())(x))
    raises(ValueError, "[masked_scatter] Cannot calculate VJP with respect to mask. Use stop_gradient on mask "
                       "to stop gradients from being computed.",
           lambda: mx.grad(lambda x: (_assigned(x, x > 2, 0.0) ** 2).sum())(x))
    raises(RuntimeError, "[scatter] VJP not implemented for scatter_prod",
           lambda: mx.grad(lambda x: (x.at[i].multiply(x[:3] * 2) ** 2).sum())(x))
    assert mx.grad(lambda x: (_assigned(x, mx.stop_gradient(x > 2), 0.0) ** 2).sum())(x).tolist() == [2, 0, 0, 4]


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)),
                                    ((2, 2, 3), (3, 4)), ((3,), (2, 3, 2)), ((2, 1, 2, 3), (4, 3, 2))])
def test_matmul_finite_differences(shapes):
    fd_check(lambda a, b: a @ b, [rand(s) for s in shapes])


def test_astype_passes_derivatives():
    # MLX: astype's vjp casts the cotangent back, even through integers
    assert_array(mx.grad(lambda x: x.astype(mx.int32).astype(mx.float32).sum())(mx.array([1.5, -2.0, 0.0])),
                 [1, 1, 1], mx.float32)
    assert_array(mx.grad(lambda x: x.astype(mx.float16).sum())(mx.array([1.5, -2.0])), [1, 1], mx.float32)


# ---------------------------------------------------------------- zeros and dtypes (MLX 0.32)

def test_zero_derivatives_as_mlx():
    x = mx.array([1.5, -2.0, 0.25])
    for f in [mx.floor, mx.ceil, mx.sign, mx.round, lambda a: (a > 1).astype(mx.float32),
              lambda a: mx.argmax(a).astype(mx.float32), mx.stop_gradient,
              lambda a: mx.floor_divide(a, 2.0)]:
        g = mx.grad(lambda a: f(a).sum())(x)
        assert_array(g, [0, 0, 0], mx.float32)
    _, (g,) = mx.vjp(lambda a: a > 1, [x], [mx.array([True, True, True])])
    assert_array(g, [0, 0, 0], mx.float32)
    _, (t,) = mx.jvp(lambda a: a > 1, [x], [x])
    assert_array(t, [0, 0, 0], mx.float32)
    _, (t,) = mx.jvp(lambda a: mx.argmax(a), [x], [x])
    assert t.dtype == mx.uint32 and t.item() == 0
    _, (t,) = mx.jvp(lambda a: mx.isnan(a), [x], [x])
    assert t.dtype == mx.float32
    _, (t,) = mx.jvp(lambda a: mx.logical_not(a), [x], [x])
    assert t.dtype == mx.bool_
    # integers differentiate through arithmetic
    assert_array(mx.grad(lambda a: (a * 2).sum())(mx.array([1, 2])), [2, 2], mx.int32)
    _, (t,) = mx.jvp(lambda a, b: mx.equal(a, b), [mx.array([3, 4]), mx.array([1, 2])],
                     [mx.array([1, 1]), mx.array([1, 1])])
    assert t.dtype == mx.int32


def test_special_points_as_mlx():
    assert_array(mx.grad(lambda x: mx.abs(x).sum())(mx.array([0.0, -1.0])), [0, -1])
    assert_array(mx.grad(lambda x: mx.sqrt(x).sum())(mx.array([0.0, 4.0])), [np.inf, 0.25])
    assert_array(mx.grad(lambda b: mx.power(mx.array([0.0, 2.0]), b).sum())(mx.array([2.0, 2.0])),
                 [0, 2.77259], rtol=1e-5)
    assert_array(mx.grad(lambda a, b: mx.maximum(a, b).sum(), argnums=(0, 1))(
        mx.array([1.0, 2.0]), mx.array([1.0, 1.0]))[1], [1, 0])
    assert_array(mx.grad(lambda a, b: mx.minimum(a, b).sum(), argnums=(0, 1))(
        mx.array([1.0, 2.0]), mx.array([1.0, 1.0]))[1], [1, 1])
    g = mx.grad(lambda x: (mx.pad(x, [(2, 1)], mode="edge") * mx.arange(6)).sum())(mx.array([1.0, 2, 3]))
    assert_array(g, [3, 3, 9])
    assert_array(mx.grad(lambda x: mx.clip(x, 0, 1).sum())(mx.array([-1.0, 0.0, 0.5, 1.0, 2.0])),
                 [0, 0, 1, 0, 0])
    assert_array(mx.grad(lambda x: mx.nan_to_num(x).sum())(mx.array([1.0, np.nan, np.inf])), [1, 0, 0])


def test_complex_as_mlx():
    _, (g,) = mx.vjp(lambda a: a * a, [mx.array(1 + 1j)], [mx.array(1 + 0j)])
    assert g.item() == pytest.approx(2 - 2j)
    _, (g,) = mx.vjp(lambda a: mx.exp(a), [mx.array(1 + 1j)], [mx.array(1 + 0j)])
    assert g.item() == pytest.approx(1.46869 - 2.28736j, rel=1e-5)
    _, (g,) = mx.vjp(lambda a: mx.abs(a), [mx.array(1 + 1j)], [mx.array(1.0)])
    assert g.item() == pytest.approx(0.707107 + 0.707107j, rel=1e-5)
    _, (g,) = mx.vjp(lambda a: mx.imag(a), [mx.array(1 + 1j)], [mx.array(1.0)])
    assert g.item() == pytest.approx(1j)
    _, (t,) = mx.jvp(lambda a: a * a, [mx.array(1 + 1j)], [mx.array(1 + 0j)])
    assert t.item() == pytest.approx(2 + 2j)


# ---------------------------------------------------------------- the seed's examples and dtypes

def test_seed_examples():
    x = mx.array(0.0)
    assert repr(mx.grad(mx.sin)(x)) == "array(1, dtype=float32)"
    assert repr(mx.grad(mx.grad(mx.sin))(x)) == "array(-0, dtype=float32)"


@pytest.mark.parametrize("dt", [mx.float16, mx.bfloat16, mx.float32, mx.float64])
def test_gradient_dtypes(dt):
    g = mx.grad(lambda a: (a * a).sum())(mx.array([1.0, 2.0], dtype=dt))
    assert g.dtype == dt
    assert_array(g.astype(mx.float32), [2, 4])
    g = mx.grad(lambda a: (a * a).sum().astype(mx.float16))(mx.array([1.0, 2.0], dtype=dt))
    assert g.dtype == dt


# ---------------------------------------------------------------- vjp and jvp API

def test_vjp_jvp_results():
    outs, vjps = mx.vjp(lambda a, b: a * b, [mx.array(2.0), mx.array(3.0)], [mx.array(1.0)])
    assert isinstance(outs, list) and isinstance(vjps, list)
    assert [v.item() for v in outs + vjps] == [6, 3, 2]
    outs, vjps = mx.vjp(lambda a, b: (a * b, a + b), (mx.array(2.0), mx.array(3.0)),
                        (mx.array(1.0), mx.array(1.0)))
    assert [v.item() for v in outs + vjps] == [6, 5, 4, 3]
    outs, jvps = mx.jvp(lambda a, b: [a * b, a], [mx.array(2.0), mx.array(3.0)], [mx.array(1.0), mx.array(0.0)])
    assert [v.item() for v in outs + jvps] == [6, 2, 3, 1]
    # cotangents are cast to the output's dtype; extra ones are ignored
    _, (g,) = mx.vjp(lambda a: a * 2, [mx.array(2.0)], [mx.array(1.0, dtype=mx.float64), mx.array(5.0)])
    assert g.dtype == mx.float32 and g.item() == 2
    # tangents keep their dtype
    _, (t,) = mx.jvp(lambda a: a * 2, [mx.array(2.0)], [mx.array(1.0, dtype=mx.float64)])
    assert t.dtype == mx.float64
    # outputs that do not depend on the inputs
    _, (g,) = mx.vjp(lambda a: mx.array([1, 2]), [mx.array(2.0)], [mx.array([1, 1])])
    assert g.dtype == mx.float32 and g.item() == 0
    _, (t,) = mx.jvp(lambda a: mx.array([1, 2]), [mx.array(2.0)], [mx.array(1.0)])
    assert t.dtype == mx.int32 and t.tolist() == [0, 0]
    outs, (g,) = mx.vjp(lambda a: [a * 2, a * 2], [mx.array(2.0)], [mx.array(3.0), mx.array(1.0)])
    assert g.item() == 8


# ---------------------------------------------------------------- grad and value_and_grad

def test_argnums_and_argnames():
    f = lambda a, b: (a * 2 + b * 3).sum()
    a, b = mx.array(1.0), mx.array(1.0)
    ga, gb = mx.grad(f, argnums=(1, 0))(a, b)  # MLX: argument order
    assert (ga.item(), gb.item()) == (2, 3)
    assert mx.grad(f, argnums=1)(a, b).item() == 3
    assert mx.grad(f, argnums=(1,))(a, b).item() == 3  # one argnum: no tuple
    assert isinstance(mx.grad(f, argnums=[0, 1])(a, b), tuple)
    g = lambda a, k: (a * k).sum()
    pos, kw = mx.grad(g, argnames="k")(mx.array([1.0, 2.0]), k=mx.array(5.0))
    assert pos is None and list(kw) == ["k"] and kw["k"].item() == 3
    pos, kw = mx.grad(g, argnums=0, argnames=["k"])(mx.array([1.0, 2.0]), k=mx.array(5.0))
    assert pos.tolist() == [5, 5] and kw["k"].item() == 3
    h = lambda a, b=1, c=1: (b * 2 + c * 3).sum()
    _, kw = mx.grad(h, argnames=("c", "b", "c"))(a, b=mx.array(1.0), c=mx.array(1.0))
    assert list(kw) == ["b", "c"] and kw["c"].item() == 3
    v, (pos, kw) = mx.value_and_grad(lambda x, y: (x * y).sum(), argnums=[], argnames="y")(
        mx.array(1.0), y=mx.array(2.0))
    assert v.item() == 2 and pos is None and kw["y"].item() == 1
    # non-differentiated arguments may be anything
    assert mx.grad(lambda a, k=3: (a * k).sum())(mx.array([1.0, 2.0]), k=5).tolist() == [5, 5]


def test_trees():
    p = {"w": mx.array([1.0, 2.0]), "b": [mx.array(3.0), mx.array(4.0)], "t": (mx.array(1.0),)}
    g = mx.grad(lambda p: (p["w"] * p["b"][0]).sum() + p["t"][0] * 2)(p)
    assert set(g) == {"w", "b", "t"} and isinstance(g["b"], list) and isinstance(g["t"], tuple)
    assert g["w"].tolist() == [3, 3] and g["b"][0].item() == 3 and g["b"][1].item() == 0
    assert g["t"][0].item() == 2
    # value_and_grad with aux outputs (any tree, any leaves)
    (loss, aux), g = mx.value_and_grad(lambda a: (a.sum(), {"x": [a, 1, "str"]}))(mx.array([1.0]))
    assert loss.item() == 1 and aux["x"][1:] == [1, "str"] and aux["x"][0].tolist() == [1]
    assert g.tolist() == [1]
    (loss, aux), g = mx.value_and_grad(lambda a: ((a * a).sum(), a * 3))(mx.array([2.0]))
    assert g.tolist() == [4]  # the aux output does not contribute
    v, g = mx.value_and_grad(lambda a: (a,))(mx.array(1.0))
    assert isinstance(v, tuple) and g.item() == 1
    (l,), g = mx.value_and_grad(lambda ps: (sum(x.sum() for x in ps),))([mx.array(1.0), mx.array([2.0, 3.0])])
    assert l.item() == 6 and g[1].tolist() == [1, 1]


def test_compositions():
    x = mx.array(0.7)
    f = lambda x: mx.sin(x) * x * x
    want2 = (2 - 0.49) * np.sin(0.7) + 2.8 * np.cos(0.7)
    assert mx.grad(mx.grad(f))(x).item() == pytest.approx(want2, rel=1e-5)
    _, (t,) = mx.jvp(mx.grad(f), [x], [mx.array(1.0)])
    assert t.item() == pytest.approx(want2, rel=1e-5)
    _, (t,) = mx.vjp(mx.grad(f), [x], [mx.array(1.0)])
    assert t.item() == pytest.approx(want2, rel=1e-5)
    g3 = mx.grad(mx.grad(mx.grad(mx.sin)))
    assert g3(mx.array(0.3)).item() == pytest.approx(-np.cos(0.3), rel=1e-6)
    # value_and_grad of grad, grad of vjp
    v, g = mx.value_and_grad(lambda x: mx.grad(f)(x))(x)
    assert g.item() == pytest.approx(want2, rel=1e-5)
    gv = mx.grad(lambda x: mx.vjp(f, [x], [mx.array(1.0)])[1][0])(x)
    assert gv.item() == pytest.approx(want2, rel=1e-5)
    fd_check(mx.grad(lambda a: (mx.tanh(a @ a) * mx.exp(a)).sum()), [rand((2, 2), -1, 1)])


def test_eval_inside_transformed_functions():
    def f(x):
        y = mx.sin(x)
        mx.eval(y)
        z = y * x
        _ = z.tolist()  # also evaluates
        return mx.exp(z).sum()

    x = mx.array([0.3, -1.2])
    g = mx.grad(f)(x)
    xs = np.array([0.3, -1.2])
    want = np.exp(np.sin(xs) * xs) * (np.cos(xs) * xs + np.sin(xs))
    assert_array(g, want, rtol=1e-5)
    fd_check(lambda a: mx.grad(f)(a), [rand((3,))])
    assert mx.grad(lambda a: (mx.eval(a * 2), (a * a).sum())[1])(mx.array([1.0, 2.0])).tolist() == [2, 4]


def test_stop_gradient():
    assert mx.grad(lambda a: (mx.stop_gradient(a) * a).sum())(mx.array([1.0, 2.0])).tolist() == [1, 2]
    y = mx.stop_gradient(mx.array([1, 2]))
    assert y.tolist() == [1, 2] and y.dtype == mx.int32
    with pytest.raises(TypeError):
        mx.stop_gradient(1.0)


# ---------------------------------------------------------------- custom_function and checkpoint

def test_custom_function():
    seen = []

    @mx.custom_function
    def f(x, y):
        return mx.sin(x) * y

    @f.vjp
    def f_vjp(primals, cotangents, output):
        seen.append((type(primals), len(primals), type(cotangents), type(output)))
        return cotangents * 10, cotangents * 20

    assert isinstance(f, mx.custom_function)
    assert f(mx.array(1.0), mx.array(2.0)).item() == pytest.approx(2 * np.sin(1.0), rel=1e-6)
    ga, gb = mx.grad(f, argnums=(0, 1))(mx.array(1.0), mx.array(2.0))
    assert (ga.item(), gb.item()) == (10, 20)
    assert seen == [(tuple, 2, mx.array, mx.array)]

    @mx.custom_function
    def g(x):
        return [x * 2, {"a": x * 3}]

    @g.vjp
    def g_vjp(primals, cotangents, outputs):
        assert isinstance(primals, mx.array) and isinstance(cotangents[1], dict)
        assert outputs[1]["a"].item() == 3
        return (cotangents[0] + cotangents[1]["a"] * 100,)

    @g.jvp
    def g_jvp(primals, tangents):
        assert isinstance(tangents, mx.array)
        return [tangents * 7, {"a": tangents * 9}]

    _, (v,) = mx.vjp(lambda x: g(x)[1]["a"], [mx.array(1.0)], [mx.array(1.0)])
    assert v.item() == 100
    _, (t,) = mx.jvp(lambda x: g(x)[1]["a"], [mx.array(1.0)], [mx.array(1.0)])
    assert t.item() == 9
    # without a jvp rule, forward mode differentiates the function itself
    _, (t,) = mx.jvp(f, [mx.array(1.0), mx.array(2.0)], [mx.array(1.0), mx.array(0.0)])
    assert t.item() == pytest.approx(2 * np.cos(1.0), rel=1e-6)
    # second derivatives of a custom rule written with ops
    h = mx.custom_function(lambda x: x * x)
    h.vjp(lambda p, c, o: c * 2 * p)
    assert mx.grad(mx.grad(lambda x: h(x)))(mx.array(3.0)).item() == 2


def test_checkpoint():
    calls = []

    def f(x, y):
        calls.append(1)
        return (mx.sin(x) * y).sum()

    c = mx.checkpoint(f)
    assert c(mx.array(1.0), mx.array(2.0)).item() == pytest.approx(2 * np.sin(1.0), rel=1e-6)
    calls.clear()
    g = mx.grad(c)(mx.array(1.0), mx.array(2.0))
    assert g.item() == pytest.approx(2 * np.cos(1.0), rel=1e-6)
    assert len(calls) == 2  # forward, and again in the backward pass
    calls.clear()
    mx.grad(f)(mx.array(1.0), mx.array(2.0))
    assert len(calls) == 1
    g = mx.grad(mx.checkpoint(lambda p: (mx.sin(p["x"]) * p["y"]).sum()))({"x": mx.array(1.0), "y": mx.array(2.0)})
    assert g["y"].item() == pytest.approx(np.sin(1.0), rel=1e-6)
    assert mx.checkpoint(lambda x, y=1: (mx.sin(x) * y).sum())(mx.array(1.0), y=3).item() == pytest.approx(
        3 * np.sin(1.0), rel=1e-6)
    fd_check(mx.checkpoint(lambda a: mx.exp(mx.sin(a)) * a), [rand((3,))])


def test_checkpoint_keeps_no_intermediates():
    """The peak memory of a gradient through 8 checkpointed blocks is far
    below that of the same blocks kept whole."""
    def block(x):
        for _ in range(6):
            x = mx.tanh(mx.sin(x))
        return x

    def peak(blk):
        def loss(x):
            for _ in range(8):
                x = blk(x)
            return x.sum()

        x = mx.ones((1 << 18,))
        mx.eval(x)
        gc.collect()
        mx.clear_cache()
        mx.reset_peak_memory()
        base = mx.get_active_memory()
        g = mx.grad(loss)(x)
        mx.eval(g)
        return mx.get_peak_memory() - base

    plain, saved = peak(block), peak(mx.checkpoint(block))
    assert saved * 3 < plain, (saved, plain)


# ---------------------------------------------------------------- compile

def test_compile_same_results_and_cache():
    calls = []
    w = mx.array(3.0)

    def f(x, y, scale=1.0):
        calls.append(1)
        return {"y": mx.sin(x) * w + y / 2 * scale, "n": 7}

    cf = mx.compile(f)
    for k in range(3):
        x, y = mx.arange(4.0) + k, mx.arange(4.0) * k
        got, want = cf(x, y), f(x, y)
        assert got["n"] == 7 and got["y"].tolist() == want["y"].tolist()
    calls.clear()
    cf(mx.arange(4.0), mx.arange(4.0))
    assert calls == []  # cached
    cf(mx.arange(5.0), mx.arange(5.0))
    assert len(calls) == 1  # a new shape traces again
    cf(mx.arange(5.0), mx.arange(5.0), scale=2.0)
    assert len(calls) == 2  # and a new constant
    assert cf(mx.arange(5.0), mx.arange(5.0), scale=2.0)["y"].tolist() == f(
        mx.arange(5.0), mx.arange(5.0), scale=2.0)["y"].tolist()
    assert mx.compile(lambda x: 3)(mx.array(1.0)) == 3
    assert mx.compile(lambda x: None)(mx.array(1.0)) is None
    assert mx.compile(lambda x, s: x)(mx.array(1.0), "s").item() == 1
    r = mx.compile(lambda x: (x, [x * 2]))(mx.array(1.0))
    assert r[0].item() == 1 and r[1][0].item() == 2
    assert mx.compile(lambda x, y=1: x * y)(mx.array(1.0), y=mx.array(3.0)).item() == 3


def test_compile_shapeless_and_switch():
    calls = []

    def f(x):
        calls.append(1)
        return mx.exp(x) - 1

    cf = mx.compile(f, shapeless=True)
    for n in (2, 3):
        assert_array(cf(mx.arange(float(n))), np.expm1(np.arange(n)), rtol=1e-6)
    mx.disable_compile()
    try:
        calls.clear()
        cf(mx.arange(2.0))
        cf(mx.arange(2.0))
        assert len(calls) == 2
    finally:
        mx.enable_compile()
    calls.clear()
    cf(mx.arange(2.0))
    assert calls == []


def test_compile_captured_state():
    """inputs=/outputs= trees (MLX's training-step pattern): the state is read
    as extra inputs and written back after each call, traced once; the values
    are those MLX 0.32 prints."""
    state = {"w": mx.array([1.0, 2.0]), "step": [mx.array(0)]}
    calls = []

    def step(x):
        calls.append(1)
        loss, g = mx.value_and_grad(lambda w: ((w * x) ** 2).sum())(state["w"])
        state["w"] = state["w"] - 0.1 * g
        state["step"][0] = state["step"][0] + 1
        return loss

    cstep = mx.compile(step, inputs=state, outputs=state)
    losses = [cstep(mx.array([0.5, -1.0]) * (i + 1)).item() for i in range(4)]
    assert losses == pytest.approx([4.25, 11.1425, 2.2212, 1.74747], rel=1e-5)
    assert_array(state["w"], [0.0836, 0.5632], rtol=1e-5)
    assert state["step"][0].item() == 4 and len(calls) == 1


def test_compile_and_grad_compose():
    f = lambda x: (mx.sin(x) * x).sum()
    x = mx.array([0.5, -1.0])
    want = np.cos([0.5, -1.0]) * [0.5, -1.0] + np.sin([0.5, -1.0])
    assert_array(mx.grad(mx.compile(f))(x), want, rtol=1e-6)
    cg = mx.compile(mx.grad(f))
    assert_array(cg(x), want, rtol=1e-6)
    assert_array(cg(x * 1), want, rtol=1e-6)


def test_compile_errors():
    with pytest.raises(ValueError, match=r"\[eval\] Attempting to eval an array during function "
                                         r"transformations like compile or vmap is not allowed\."):
        mx.compile(lambda x: (mx.eval(x * 2), x)[1])(mx.array(1.0))
    with pytest.raises(ValueError, match=r"\[eval\] Attempting"):
        mx.compile(lambda x: x * (x * 2).item())(mx.array(1.0))
    with pytest.raises(ValueError, match=r"\[compile\] Function arguments must be trees of arrays or "
                                         r"constants \(floats, ints, strings, or None\), but received type object\."):
        mx.compile(lambda x, y: x)(mx.array(1.0), object())
    with pytest.raises(TypeError, match="compile"):
        mx.compile(3)


# ---------------------------------------------------------------- errors (MLX's types and messages)

def raises(exc, msg, f):
    with pytest.raises(exc) as e:
        f()
    assert str(e.value) == msg, str(e.value)


def test_grad_errors():
    x = mx.array([1.5, 2.0])
    raises(ValueError, "[grad] Can't compute the gradient of negative argument index -1",
           lambda: mx.grad(lambda a: a, argnums=-1))
    raises(ValueError, "[value_and_grad] Duplicate argument index 0 is not allowed.",
           lambda: mx.value_and_grad(lambda a: a, argnums=(0, 0)))
    raises(ValueError, "[grad] Gradient wrt no argument requested", lambda: mx.grad(lambda a: a, argnums=()))
    raises(ValueError, "[grad] Can't compute the gradient of argument index 1 because the function is "
                       "called with only 1 positional arguments.",
           lambda: mx.grad(lambda a: a.sum(), argnums=1)(x))
    raises(ValueError, "[grad] Can't compute the gradient of keyword argument 'c' because the function is "
                       "called with the following keyword arguments {b,}",
           lambda: mx.grad(lambda a, b=1, c=1: a.sum(), argnames=["c"])(x, b=x))
    raises(ValueError, "[grad] Can't compute the gradient of keyword argument 'b' because the function is "
                       "called with the following keyword arguments {}",
           lambda: mx.grad(lambda a, b=1: a.sum(), argnames=["b"])(x))
    raises(ValueError, "[vjp] Output shape (2) does not match cotangent shape ().",
           lambda: mx.grad(lambda a: a * 2)(x))
    raises(ValueError, "[vjp] Output shape (1) does not match cotangent shape (). If you are using grad "
                       "your function must return a scalar.", lambda: mx.grad(lambda a: a)(mx.array([1.0])))
    raises(ValueError, "[grad] The return value of the function whose gradient we want to compute should "
                       "be a scalar array; but int was returned.", lambda: mx.grad(lambda a: 3)(x))
    raises(ValueError, "[grad] The return value of the function whose gradient we want to compute should "
                       "be a scalar array; but tuple was returned.", lambda: mx.grad(lambda a: (a.sum(), 3))(x))
    raises(ValueError, "[value_and_grad] The return value of the function whose gradient we want to compute "
                       "should be either a scalar array or a tuple with the first value being a scalar array "
                       "(Union[array, tuple[array, Any, ...]]); but list was returned.",
           lambda: mx.value_and_grad(lambda a: [a.sum()])(x))
    raises(ValueError, "[value_and_grad] The return value of the function whose gradient we want to compute "
                       "should be either a scalar array or a tuple with the first value being a scalar array "
                       "(Union[array, tuple[array, Any, ...]]); but it was a tuple with the first value being "
                       "of type int .", lambda: mx.value_and_grad(lambda a: (3, a))(x))
    raises(ValueError, "[value_and_grad] The return value of the function whose gradient we want to compute "
                       "should be either a scalar array or a non-empty tuple. The first value should be a scalar "
                       "array and the rest can be anything. Instead, we got an empty tuple.",
           lambda: mx.value_and_grad(lambda a: ())(x))
    for bad in [1.0, {"w": x, "n": 3}, {"w": x, "n": None}]:
        raises(ValueError, "[tree_flatten] The argument should contain only arrays",
               lambda: mx.grad(lambda a: mx.array(1.0))(bad))
    with pytest.raises(TypeError, match=r"grad\(\): incompatible function arguments"):
        mx.grad(3)
    with pytest.raises(TypeError, match=r"grad\(\): incompatible function arguments"):
        mx.grad(mx.sin, argnums="a")
    with pytest.raises(TypeError, match=r"grad\(\): incompatible function arguments"):
        mx.grad(mx.sin, argnames=3)
    # exceptions raised by the function come out unchanged
    with pytest.raises(ZeroDivisionError):
        mx.grad(lambda a: 1 / 0)(x)
    with pytest.raises(KeyError, match="boom"):
        mx.grad(lambda a: {}["boom"])(x)
    with pytest.raises(ZeroDivisionError):
        mx.grad(mx.grad(lambda a: a * (1 / 0)))(mx.array(1.0))


def test_vjp_jvp_errors():
    two = [mx.array(2.0), mx.array(3.0)]
    raises(ValueError, "[vjp] Number of outputs to compute gradients for (2) does not match number of "
                       "cotangents (1).", lambda: mx.vjp(lambda a, b: [a * b, a + b], two, [mx.array(1.0)]))
    raises(ValueError, "[vjp] Output shape () does not match cotangent shape (2). If you are using grad your "
                       "function must return a scalar.",
           lambda: mx.vjp(lambda a, b: a * b, two, [mx.array([1.0, 2.0])]))
    raises(ValueError, "[jvp] Number of inputs does not match number of tangents.",
           lambda: mx.jvp(lambda a, b: a * b, two, [mx.array(1.0)]))
    raises(ValueError, "[jvp] Input shape does not match shape of tangent.",
           lambda: mx.jvp(lambda a, b: a * b, two, [mx.array([1.0, 2.0]), mx.array(1.0)]))
    for bad in [lambda a: 3, lambda a: [a, 3], lambda a: {"a": a}, lambda a: [(a,)]]:
        with pytest.raises(RuntimeError, match="must return an array or a list or tuple of arrays"):
            mx.vjp(bad, [mx.array(2.0)], [mx.array(1.0), mx.array(1.0)])
        with pytest.raises(RuntimeError, match="must return an array or a list or tuple of arrays"):
            mx.jvp(bad, [mx.array(2.0)], [mx.array(1.0)])
    for args in [(lambda a: a, mx.array(2.0), [mx.array(1.0)]), (lambda a: a, [2.0], [mx.array(1.0)]),
                 (lambda a: a, [[mx.array(2.0)]], [mx.array(1.0)]), (3, [mx.array(1.0)], [mx.array(1.0)])]:
        with pytest.raises(TypeError, match=r"vjp\(\): incompatible function arguments"):
            mx.vjp(*args)
    raises(ValueError, "[Primitive::jvp] Not implemented for BitwiseInvert.",
           lambda: mx.jvp(lambda a: ~a, [mx.array(3)], [mx.array(1)]))


def test_no_leaks():
    gc.collect()
    before = mx.get_active_memory()
    for _ in range(3):
        x = mx.ones((1000,))
        g = mx.grad(lambda a: (mx.sin(a) * mx.checkpoint(mx.exp)(a)).sum())(x)
        mx.eval(g)
        del x, g
    gc.collect()
    assert mx.get_active_memory() <= before
