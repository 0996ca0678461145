"""mx.vmap over the gather/scatter family (take, integer-array indexing,
take/put_along_axis, the .at[] scatters, slice updates, dynamic slices,
masked scatter): every way of mapping the operand, the indices and the
updates, against a Python loop over the batch; and grad through vmap."""
import itertools

import numpy as np
import pytest

import ember.core as mx

B = 3


def loop(f, args, in_axes, out_axes=0):
    size = next(a.shape[ax] for a, ax in zip(args, in_axes) if ax is not None)
    outs = []
    for i in range(size):
        outs.append(f(*[a if ax is None else mx.take(a, i, axis=ax) for a, ax in zip(args, in_axes)]))
    return mx.stack(outs, axis=out_axes)


def batched(x, axis):
    """NumPy x (one element's value) repeated over a batch at axis, each
    copy different (for floats) or a permutation of x's values (for ints,
    which stay valid indices)."""
    rng = np.random.default_rng(x.size + (axis or 0))
    if axis is None:
        return mx.array(x)
    if np.issubdtype(x.dtype, np.integer):
        copies = [rng.permutation(x.reshape(-1)).reshape(x.shape) for _ in range(B)]
    elif x.dtype == np.bool_:
        copies = [rng.permutation(x.reshape(-1)).reshape(x.shape) for _ in range(B)]
    else:
        copies = [x + i for i in range(B)]
    return mx.array(np.stack(copies, axis=axis))


def check(f, elems, out_axes=(0, -1)):
    ranks = [e.ndim for e in elems]
    for axes in itertools.product(*[[None] + list(range(r + 1)) for r in ranks]):
        if all(a is None for a in axes):
            continue
        args = [batched(e, a) for e, a in zip(elems, axes)]
        for oa in out_axes:
            want = loop(f, args, axes, oa)
            got = mx.vmap(f, in_axes=tuple(axes), out_axes=oa)(*args)
            assert got.shape == want.shape, (axes, oa, got.shape, want.shape)
            assert got.dtype == want.dtype
            np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-6, err_msg=str(axes))


A = np.arange(24, dtype=np.float32).reshape(4, 3, 2) * 0.5 - 3
I1 = np.array([2, 0, 3, 3], dtype=np.int32)
I2 = np.array([[1, -1], [0, 2]], dtype=np.int32)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_take(axis):
    idx = np.array([1, 0, -1, 1], dtype=np.int32)
    check(lambda a, i: mx.take(a, i, axis=axis), [A, idx])


def test_take_flat_and_int_array_indexing():
    check(lambda a, i: mx.take(a, i), [A, np.array([5, 0, 23], dtype=np.int32)])
    check(lambda a, i: a[i], [A, I1])
    check(lambda a, i: a[:, i], [A, I2 % 3])
    check(lambda a, i, j: a[i, :, j], [A, I1, np.array([1, 0, 1, 0], dtype=np.int64)])


def test_take_along_axis_and_put_along_axis():
    idx = np.array([[[1, 0]], [[0, 0]], [[1, 1]], [[0, 1]]], dtype=np.int32)  # (4,1,2)
    check(lambda a, i: mx.take_along_axis(a, i, axis=2), [A, np.broadcast_to(idx, (4, 3, 2)).copy()])
    idx = np.array([[0, 2, 1], [2, 2, 0]], dtype=np.int32)  # along axis 0 of (3, 3)
    m = np.arange(9, dtype=np.float32).reshape(3, 3)
    v = np.full((2, 3), 7.5, np.float32)
    check(lambda a, i, u: mx.put_along_axis(a, i, u, axis=0), [m, idx, v])


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum", "minimum"])
def test_at_scatters(op):
    idx = np.array([1, 3, 1], dtype=np.int32)
    upd = np.array([[1.5, -2.0], [3.0, 0.25], [-1.0, 4.0]], np.float32)
    a = np.arange(8, dtype=np.float32).reshape(4, 2) - 2

    def f(x, i, u):
        return getattr(x.at[i], op)(u)
    check(f, [a, idx, upd])


def test_index_assignment():
    def f(x, i, u):
        y = x * 1
        y[i] = u
        return y
    check(f, [np.arange(8, dtype=np.float32).reshape(4, 2), np.array([1, 3, 0], dtype=np.int32),
              np.array([[1.5, -2.0], [3.0, 0.25], [-1.0, 4.0]], np.float32)])


def test_scatter_two_indices():
    a = np.zeros((3, 4), np.float32)
    i = np.array([0, 2, 2], dtype=np.int32)
    j = np.array([1, 3, 0], dtype=np.int32)
    u = np.array([1.0, 2.0, 3.0], np.float32)
    check(lambda x, p, q, v: x.at[p, q].add(v), [a, i, j, u])


def test_slice_update():
    def f(x, v):
        y = x * 1
        y[1:4:2, :, ::-1] = v
        return y
    check(f, [A, np.ones((2, 3, 2), np.float32) * 9])

    def g(x, v):
        y = x * 1
        y[2] = v
        return y
    check(g, [A, np.full((3, 2), -4.0, np.float32)])


def test_dynamic_slice_and_update():
    start = np.array([1], dtype=np.int32)
    check(lambda x, s: mx.slice(x, s, [0], [2, 3, 2]), [A, start])
    check(lambda x, v, s: mx.slice_update(x, v, s, [1]), [A, np.ones((4, 2, 2), np.float32), start])


def test_masked_scatter():
    mask = np.array([[True, False, True], [False, False, True],
                     [True, True, False], [False, True, False]])

    def f(x, m, v):
        y = x * 1
        y[m] = v
        return y
    check(f, [A, mask, np.full((2,), 8.0, np.float32)])


def test_grad_of_vmapped_gather_and_scatter():
    a = mx.array(A)
    idx = mx.array(np.array([[0, 2, 1], [3, 3, 0], [1, 1, 1]], dtype=np.int32))

    def loss(x):
        return mx.vmap(lambda i: mx.take(x, i, axis=0).sum(), in_axes=0)(idx).sum()
    g = mx.grad(loss)(a)
    want = np.zeros_like(A)
    for row in np.array(idx):
        for r in row:
            want[r] += 1
    np.testing.assert_allclose(np.array(g), want)

    def loss2(u):
        return mx.vmap(lambda i, v: mx.zeros((4, 2)).at[i].add(v), in_axes=(0, 0))(idx, u).sum()
    u = mx.ones((3, 3, 2))
    np.testing.assert_allclose(np.array(mx.grad(loss2)(u)), np.ones((3, 3, 2)))


def test_nested_vmap_take():
    a = mx.array(np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5))
    i = mx.array(np.array([[[4, 0], [1, 1], [2, 3]], [[0, 0], [4, 4], [3, 1]]], dtype=np.int32))
    got = mx.vmap(mx.vmap(lambda x, j: x[j]))(a, i)
    want = np.take_along_axis(np.array(a), np.array(i), axis=2)
    np.testing.assert_array_equal(np.array(got), want)
