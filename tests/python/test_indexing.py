"""Indexing against NumPy: __getitem__ with ints, slices, ..., None, integer
arrays and lists (NumPy's advanced-indexing rules), __setitem__ with the same
keys and boolean masks, x.at[] updates that accumulate over repeated indices,
and mx.take / take_along_axis / put_along_axis / slice / slice_update; values,
dtypes, shapes, and errors with their exception types and MLX's messages."""
import inspect

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember.core as mx
from conftest import ALL_DTYPES, INTS, assert_array, dtype_name, sample

X = np.arange(24, dtype=np.int32).reshape(2, 3, 4)


@pytest.mark.parametrize("key", [
    0, -1, 1, (1, 2), (0, -1, 3), slice(None), slice(1, None), slice(None, None, -1),
    slice(None, None, 2), slice(-2, None), slice(5, 1, -1), slice(1, 1), slice(2, 100),
    slice(-100, 100), (slice(None), 1), (Ellipsis, 1), (0, Ellipsis), (Ellipsis,),
    (None,), (slice(None), None, slice(None)), (0, Ellipsis, None), (None, 0, None, 1),
    (Ellipsis, None), (), (slice(None, None, -2), slice(1, None, 2), -1),
    (slice(3, 0, -1), Ellipsis), (np.int64(1),), (1, slice(0, 0)),
], ids=repr)
def test_basic_indexing(key):
    assert_array(mx.array(X)[key], X[key])


def test_scalar_indexing():
    s = mx.array(3.5)
    assert s[None].shape == (1,)
    assert s[...].shape == ()
    assert s[()].item() == 3.5
    with pytest.raises(ValueError, match="0-dimensional"):
        s[0]


def test_index_with_0d_int_array():
    assert mx.array(X)[mx.array(1)].tolist() == X[1].tolist()


def test_indexing_lazy_results():
    a = mx.array([1.0, 2.0, 3.0]) + 1
    assert a[1].item() == 3.0
    assert a[::-1].tolist() == [4.0, 3.0, 2.0]


@pytest.mark.parametrize("key, exc", [
    ((0, 0, 0, 0), ValueError), (1.0, ValueError), ("x", ValueError), (True, ValueError),
    ((Ellipsis, Ellipsis), ValueError), (slice(None, None, 0), ValueError),
    (2, IndexError), (-3, IndexError), ((0, 3), IndexError), ((0, 0, -5), IndexError),
])
def test_indexing_errors(key, exc):
    with pytest.raises(exc):
        mx.array(X)[key]


def test_indexing_error_messages():
    with pytest.raises(ValueError, match="Too many indices for array with 3 dimensions."):
        mx.array(X)[0, 0, 0, 0]
    with pytest.raises(ValueError, match=r"An index can only have a single ellipsis \(\.\.\.\)"):
        mx.array(X)[..., ...]
    with pytest.raises(ValueError, match="Cannot index ember array using the given type."):
        mx.array(X)["a"]


def slices(n):
    idx = st.one_of(st.none(), st.integers(-n - 2, n + 2))
    step = st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0))
    return st.builds(slice, idx, idx, step)


@settings(max_examples=80, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4), st.data())
def test_basic_indexing_property(shape, data):
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    items = []
    for d in shape[:data.draw(st.integers(0, len(shape)))]:
        kind = data.draw(st.sampled_from(["int", "slice", "none"]))
        if kind == "int" and d > 0:
            items.append(data.draw(st.integers(-d, d - 1)))
        elif kind == "none":
            items.append(None)
            items.append(data.draw(slices(d)))
        else:
            items.append(data.draw(slices(d)))
    if data.draw(st.booleans()):
        items.insert(data.draw(st.integers(0, len(items))), Ellipsis)
    key = tuple(items)
    try:
        want = x[key]
    except IndexError:  # an Ellipsis can push an int onto an empty axis
        with pytest.raises(IndexError):
            mx.array(x)[key]
        return
    assert_array(mx.array(x)[key], want)


# ---------------------------------------------------------------- advanced reads

# Keys written with lists; each is also tried with the lists as mx.array and
# as NumPy arrays.
ADVANCED_KEYS = [
    [0, 1], [[0, 1], [1, 0]], [-1], [1, 1, 0], (slice(None), [2, 0]), (slice(None), [2, 0], 1),
    ([0, 1], [1, 2]), ([0, 1], [[1], [2]]), ([1, 0], slice(None), [1, 3]), (1, [0, 2]),
    (1, [0, 2], slice(1, 3)), ([1], slice(None), 2), (Ellipsis, [0, 3]), ([0, 1], Ellipsis, [1, 2]),
    (None, [0, 1]), ([0, 1], None), ([0, 1], None, [1, 2]), (slice(None, None, -1), [2, 0]),
    (slice(1, None), [[0], [2]], slice(None, None, 2)), (None, 1, [0, 2], None, slice(None)),
    ([[-1, 0]], [[2], [0]], [[3]]), (slice(0, 0), [1]), ([],), ([1],), (slice(None), [2, 1], None),
]


def as_mx(key):
    if isinstance(key, tuple):
        return tuple(as_mx(k) for k in key)
    return mx.array(key, dtype=mx.int32) if isinstance(key, list) else key


def as_np(key):
    if isinstance(key, tuple):
        return tuple(as_np(k) for k in key)
    return np.array(key, dtype=np.int64) if isinstance(key, list) else key


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
def test_advanced_indexing(key):
    want = X[as_np(key)]
    assert_array(mx.array(X)[key], want, dtype=mx.int32)
    assert_array(mx.array(X)[as_mx(key)], want, dtype=mx.int32)
    assert_array(mx.array(X)[as_np(key)], want, dtype=mx.int32)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_advanced_indexing_dtypes(dtype):
    x = sample((3, 4), dtype)
    for idt in INTS:
        i = mx.array([2, 0, 2], dtype=idt)
        assert_array(mx.array(x, dtype=dtype)[i], x[[2, 0, 2]], dtype=dtype)
        assert_array(mx.array(x, dtype=dtype)[:, i], x[:, [2, 0, 2]], dtype=dtype)


def test_advanced_indexing_strided_and_lazy():
    a = mx.array(X)
    t = mx.transpose(a)          # a strided view
    assert_array(t[[3, 0], 1:], X.T[[3, 0], 1:])
    idx = mx.array([0, 1, 2, 3]) + 0   # lazy indices
    assert_array((a * 2)[:, :, idx[::-2]], (X * 2)[:, :, [3, 1]])
    b = mx.broadcast_to(mx.array([1, 2, 3]), (4, 3))
    assert_array(b[[3, 0], [2, 2]], np.array([3, 3]))


def test_negative_and_out_of_range_indices():
    a = mx.array(np.arange(5))
    assert a[mx.array([-1, -5])].tolist() == [4, 0]
    r = a[mx.array([1, 5])]      # MLX reads garbage here; ember refuses at evaluation
    with pytest.raises(IndexError, match=r"\[gather\] Index 5 is out of bounds for axis 0 with size 5"):
        r.tolist()
    with pytest.raises(IndexError, match="Index -6 is out of bounds"):
        mx.eval(a[[-6]])
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 5"):
        a[5, ...]
    with pytest.raises(IndexError):
        mx.array(X)[[0], 3]
    huge = mx.array(np.array([2**63], dtype=np.uint64))
    with pytest.raises(IndexError, match="Index 9223372036854775808 is out of bounds"):
        mx.eval(a[huge])


@pytest.mark.parametrize("key, exc, msg", [
    (mx.array([True, False]), ValueError, "boolean indices are not yet supported"),
    ([True, False], ValueError, "boolean indices are not yet supported"),
    ((0, mx.array([True, False, True])), ValueError, "boolean indices are not yet supported"),
    (mx.array([1.0]), ValueError, r"\[gather\] Got indices with invalid dtype. Indices must be integral."),
    ([0.5], ValueError, "Indices must be integral"),
    (([0, 1], [0, 1, 2]), ValueError, r"Shapes \(2\) and \(3\) cannot be broadcast"),
    (([0], [0], [0], [0]), ValueError, "Too many indices for array with 3 dimensions."),
    (([0], Ellipsis, Ellipsis), ValueError, "single ellipsis"),
    (((0, 1),), ValueError, "Cannot index ember array using the given type."),
    ({"a": 1}, ValueError, "Cannot index ember array using the given type."),
], ids=repr)
def test_advanced_indexing_errors(key, exc, msg):
    with pytest.raises(exc, match=msg):
        mx.eval(mx.array(X)[key])


def test_index_0d():
    s = mx.array(3)
    with pytest.raises(ValueError, match="0-dimensional"):
        s[[0]]
    assert s[None, None].shape == (1, 1)


def index_items(shape, data, arrays=True):
    """A random key for an array of `shape`: ints, slices, None, an Ellipsis,
    and integer arrays that broadcast together (some out of range)."""
    bshape = data.draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    items, axes = [], list(shape)
    nconsume = data.draw(st.integers(0, len(shape)))
    for d in axes[:nconsume]:
        kinds = ["int", "slice", "none"] + (["array", "array"] if arrays else [])
        kind = data.draw(st.sampled_from(kinds))
        if kind == "int" and d > 0:
            items.append(data.draw(st.integers(-d, d - 1)))
        elif kind == "array" and d > 0:
            sub = bshape[data.draw(st.integers(0, len(bshape))):]
            items.append(data.draw(hnp.arrays(np.int64, sub, elements=st.integers(-d, d - 1))))
        elif kind == "none":
            items.append(None)
            items.append(data.draw(slices(d)))
        else:
            items.append(data.draw(slices(d)))
    if data.draw(st.booleans()):
        items.insert(data.draw(st.integers(0, len(items))), Ellipsis)
    return tuple(items)


@settings(max_examples=150, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4), st.data())
def test_advanced_indexing_property(shape, data):
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    key = index_items(shape, data)
    mkey = tuple(mx.array(k) if isinstance(k, np.ndarray) else k for k in key)
    try:
        want = x[key]
    except IndexError:
        with pytest.raises(IndexError):
            mx.eval(mx.array(x)[mkey])
        return
    assert_array(mx.array(x)[mkey], want)


# ---------------------------------------------------------------- assignment

SET_CASES = [
    (0, 5), (-1, [1, 2, 3, 4]), ((0, 1), 7.9), ((slice(None), 1), [[1], [2], [3]][0]),
    ((slice(None), 1), np.array([1, 2, 3])), (slice(None, None, -2), np.arange(4)),
    ((slice(None, None, 2), slice(None, None, -2)), 100), (Ellipsis, 3), (None, 3),
    ((None, 0), np.array([[1, 2, 3, 4]])), ((), np.ones((1, 1, 3, 4))), ((1, slice(1, 3)), [7, 8]),
    ([0, 1], 9), ([2, 0, 2], np.arange(12).reshape(3, 4)), (([0, 1], [1, 2]), [-1, -2]),
    (([0, 1], [1, 2]), [[[-1, -2]]]), ((slice(1, None), [0, 2]), 0), (([0, 1], slice(1, 3)), [[5], [6]]),
    ((slice(None), [0, 1]), [[5], [6], [7]]), ((None, [0, 1]), [[5], [6]]), (([0, 1], None), [[5, 6, 7, 8]]),
    (([[0], [1]], [1, 2]), [[5], [6]]), ((1, [3, 0]), [10, 20]), ((Ellipsis, [3, 0]), [[1, 2]]),
    (([2, -1], Ellipsis, None), 4), ((slice(2, 0, -1), [[0], [3]], None), np.arange(4).reshape(2, 2, 1, 1)),
    ([], 5), ((slice(0, 0), [1]), 5),
]


@pytest.mark.parametrize("key, value", SET_CASES, ids=repr)
def test_setitem(key, value):
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    a = mx.array(x)
    want = x.copy()
    want[as_np(key)] = value
    a[key] = value if not isinstance(value, np.ndarray) else mx.array(value)
    assert_array(a, want, dtype=mx.int32)
    b = mx.array(x)
    b[as_mx(key)] = value
    assert_array(b, want, dtype=mx.int32)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_setitem_dtypes(dtype):
    x = sample((3, 4), dtype)
    v = sample((2, 4), dtype, seed=1)
    want = x.copy()
    want[[2, 0]] = v
    want[:, 1] = v[0, 0]
    a = mx.array(x, dtype=dtype)
    a[mx.array([2, 0], dtype=mx.uint8)] = mx.array(v, dtype=dtype)
    a[:, 1] = mx.array(v[0, 0], dtype=dtype)
    assert_array(a, want, dtype=dtype)


def test_setitem_repeated_indices_last_wins():
    a = mx.zeros(4, dtype=mx.int32)
    a[mx.array([1, 2, 1, 1])] = mx.array([5, 6, 7, 8])
    assert a.tolist() == [0, 8, 6, 0]


def test_setitem_value_casts_and_weak_scalars():
    a = mx.array([1, 2, 3])
    a[0] = 1.7
    a[1] = True
    assert a.dtype == mx.int32 and a.tolist() == [1, 1, 3]
    f = mx.array([1.0, 2.0], dtype=mx.float16)
    f[1] = 0.1
    assert f.dtype == mx.float16 and f.tolist()[1] == pytest.approx(0.1, abs=1e-4)
    with pytest.raises(ValueError, match="Converting 1099511627776 to int32 would result in overflow."):
        a[1] = 2**40
    u = mx.array([1, 2], dtype=mx.uint8)
    u[0] = 255
    assert u.tolist() == [255, 2]


def test_setitem_rebinds_the_object():
    a = mx.array([1, 2, 3])
    b = a
    v = a[:2]
    a[0] = 9
    assert b.tolist() == [9, 2, 3] and b is a
    assert v.tolist() == [1, 2]


def test_setitem_loop_and_lazy_inputs():
    x = mx.zeros(200)
    for i in range(200):
        x[i] = i * 2
    assert x.tolist() == [2.0 * i for i in range(200)]
    y = mx.arange(10) * 1        # lazy
    y[mx.array([0, 9])] = mx.array([100, 200]) + 1
    assert y.tolist() == [101, 1, 2, 3, 4, 5, 6, 7, 8, 201]


@pytest.mark.parametrize("key, value", [
    (mx.array([True, False, True]), 0), ([True, False, True], [1, 2, 3, 4]),
    (mx.array([True, False, True]), np.array([[1, 2, 3, 4], [5, 6, 7, 8]])),
    (mx.array([True, False, True]), np.array([[1], [2]])), (mx.array(X[0] % 3 == 0), -1),
    (mx.array(X[0] % 3 == 0), np.array([10, 20, 30, 40])), (mx.array([False, False, False]), 1),
], ids=repr)
def test_setitem_boolean_mask(key, value):
    x = X[0].copy()
    want = x.copy()
    want[np.array(key)] = value
    a = mx.array(x)
    a[key] = mx.array(value) if isinstance(value, np.ndarray) else value
    assert_array(a, want)


def test_setitem_boolean_mask_mlx_forms():
    a = mx.array(np.arange(12).reshape(3, 4))
    a[True] = 7                            # MLX: a 0-d mask selects everything
    assert a.tolist() == [[7] * 4] * 3
    a[mx.array(False)] = 1
    assert a.tolist() == [[7] * 4] * 3
    b = mx.array(np.arange(12).reshape(3, 4))
    b[mx.array([True, False, True])] = mx.arange(8)   # MLX reads the values flat
    assert b.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [4, 5, 6, 7]]


@pytest.mark.parametrize("key, value, exc, msg", [
    (0, np.zeros((2, 4)), ValueError, r"Cannot broadcast array of shape \(2,4\) into shape \(4\)."),
    (0, [1, 2], ValueError, "Cannot broadcast array of shape"),
    ([0, 1], np.zeros((3, 2, 4)), ValueError, "Cannot broadcast array of shape"),
    ((0, 0, 0), 1, ValueError, "Too many indices for array with 2 dimensions."),
    ("x", 1, ValueError, "Cannot index ember array using the given type."),
    (5, 1, IndexError, "index 5 is out of bounds for axis 0 with size 3"),
    ([1.0], 2, ValueError, r"\[scatter\] Got indices with invalid dtype. Indices must be integral."),
    (mx.array([True, False]), 7, ValueError, "The boolean mask should have the same shape"),
    ((mx.array([True, False, True]), 1), 7, ValueError, "sole index of an assignment"),
    (0, None, (TypeError, ValueError), ""),
    (0, "abc", (TypeError, ValueError), ""),
], ids=repr)
def test_setitem_errors(key, value, exc, msg):
    a = mx.array(np.arange(12).reshape(3, 4))
    before = a.tolist()
    with pytest.raises(exc, match=msg or None):
        a[key] = mx.array(value) if isinstance(value, np.ndarray) else value
    assert a.tolist() == before


def test_setitem_errors_at_evaluation():
    a = mx.array([1, 2, 3])
    a[mx.array([0, 3])] = 5                     # out of range: refused when evaluated
    with pytest.raises(IndexError, match=r"\[scatter\] Index 3 is out of bounds for axis 0 with size 3"):
        a.tolist()
    b = mx.array(np.arange(12).reshape(3, 4))
    b[mx.array([True, False, True])] = mx.array(np.arange(12).reshape(3, 4))
    with pytest.raises(ValueError, match="Cannot assign 12 input values to the 8 output values"):
        mx.eval(b)
    with pytest.raises(TypeError):
        del b[0]
    e = mx.zeros((0, 3))          # nothing selected, yet the index is out of range (NumPy)
    e[:, mx.array([5])] = 1
    with pytest.raises(IndexError, match="Index 5 is out of bounds for axis 1 with size 3"):
        mx.eval(e)
    e = mx.zeros((2, 3))
    e[1:1, [0, 5]] = 1
    with pytest.raises(IndexError, match="Index 5 is out of bounds"):
        mx.eval(e)


@settings(max_examples=150, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4), st.data())
def test_setitem_property(shape, data):
    x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    key = index_items(shape, data)
    mkey = tuple(mx.array(k) if isinstance(k, np.ndarray) else k for k in key)
    try:
        target = x[key]
    except IndexError:
        a = mx.array(x)
        with pytest.raises(IndexError):
            a[mkey] = 0
            mx.eval(a)
        return
    # repeated positions make NumPy's order unspecified: then a scalar
    positions = np.arange(x.size).reshape(shape)[key].ravel()
    if len(np.unique(positions)) != positions.size or data.draw(st.booleans()):
        value = data.draw(st.integers(-100, -1))
    else:
        vshape = target.shape[data.draw(st.integers(0, target.ndim)):]
        vshape = tuple(1 if data.draw(st.booleans()) else d for d in vshape)
        value = -np.arange(1, int(np.prod(vshape)) + 1, dtype=np.int32).reshape(vshape)
    want = x.copy()
    want[key] = value
    a = mx.array(x)
    a[mkey] = mx.array(value) if isinstance(value, np.ndarray) else value
    assert_array(a, want)


# ---------------------------------------------------------------- x.at[]

AT_OPS = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
          "maximum": np.maximum, "minimum": np.minimum}


@pytest.mark.parametrize("op", sorted(AT_OPS))
@pytest.mark.parametrize("key", [[0, 1, 0, 3, 0], ([0, 0, 2], [1, 1, 3]), (slice(None), [1, 1]),
                                 (slice(1, None), 2), 1, slice(None, None, 2), Ellipsis,
                                 ([[0], [0]], slice(2, 4))], ids=repr)
def test_at_accumulates(op, key):
    x = sample((4, 4), mx.float32, seed=2)
    target = x[as_np(key)]
    v = sample(target.shape, mx.float32, seed=3)
    want = x.copy()
    AT_OPS[op].at(want, as_np(key), v)
    a = mx.array(x)
    got = getattr(a.at[as_mx(key)], op)(mx.array(v))
    assert_array(got, want, dtype=mx.float32)
    assert_array(a, x)              # a itself is unchanged


def test_at_divide():
    x = mx.array([8.0, 2.0, 3.0])
    assert_array(x.at[mx.array([0, 0, 1])].divide(mx.array([2.0, 4.0, 8.0])), np.array([1.0, 0.25, 3.0]))
    # MLX multiplies by the reciprocal cast to the array's dtype: 0 for ints
    assert mx.array([7, 5]).at[mx.array([0, 0])].divide(2).tolist() == [0, 5]
    assert mx.array([7, 5]).at[1].divide(1).tolist() == [7, 5]


def test_at_dtypes_and_scalars():
    assert mx.array([1, 2, 3]).at[mx.array([0, 0])].add(1.5).tolist() == [3, 2, 3]     # MLX: cast first
    u = mx.array([1, 2, 3], dtype=mx.uint8).at[mx.array([0, 0])].subtract(2)
    assert u.dtype == mx.uint8 and u.tolist() == [253, 2, 3]
    b = mx.array([True, False]).at[mx.array([1, 1])].add(mx.array([True, True]))
    assert b.tolist() == [True, True]
    m = mx.array([1.0, 2.0, 3.0]).at[mx.array([0, 0])].maximum(mx.array([float("nan"), 5.0]))
    assert np.isnan(m.tolist()[0])    # NaN propagates, as mx.maximum (MLX's scatter drops it)
    c = mx.zeros(2, dtype=mx.complex64).at[mx.array([0, 0])].add(mx.array([1 + 2j, 3 - 1j]))
    assert c.tolist() == [4 + 1j, 0j]
    for dt in ALL_DTYPES:
        x = mx.zeros(3, dtype=dt)
        assert x.at[mx.array([1, 1])].add(mx.ones(2, dtype=dt)).dtype == dt
    s = mx.array(3.0)
    assert s.at[...].add(1).item() == 4.0


def test_at_errors():
    a = mx.array([1, 2, 3])
    with pytest.raises(ValueError, match="Cannot update without indices"):
        mx.ArrayAt(a).add(1)
    with pytest.raises(ValueError, match="Boolean masks are not supported"):
        a.at[mx.array([True, False, True])].add(1)
    with pytest.raises(ValueError, match="Cannot broadcast array of shape"):
        a.at[mx.array([0, 1])].add(mx.array([1, 2, 3]))
    with pytest.raises(IndexError):
        a.at[mx.array([3])].add(1).tolist()
    assert type(a.at).__name__ == "ArrayAt"


@settings(max_examples=100, deadline=None)
@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4), st.data())
def test_at_add_property(shape, data):
    x = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    key = tuple(k for k in index_items(shape, data) if k is not None)
    mkey = tuple(mx.array(k) if isinstance(k, np.ndarray) else k for k in key)
    try:
        target = x[key]
    except IndexError:
        with pytest.raises(IndexError):
            mx.eval(mx.array(x).at[mkey].add(1))
        return
    v = np.arange(1, target.size + 1, dtype=np.int64).reshape(target.shape)
    want = x.copy()
    np.add.at(want, key, v)
    assert_array(mx.array(x).at[mkey].add(mx.array(v)), want)


# ---------------------------------------------------------------- functions

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_take(dtype):
    x = sample((3, 4), dtype)
    a = mx.array(x, dtype=dtype)
    for idt in INTS:
        i = np.array([[2, 0], [1, 2]])
        assert_array(mx.take(a, mx.array(i, dtype=idt), axis=0), np.take(x, i, axis=0), dtype=dtype)
        assert_array(mx.take(a, mx.array(i, dtype=idt), axis=-1), np.take(x, i, axis=-1), dtype=dtype)
        assert_array(mx.take(a, mx.array(i, dtype=idt)), np.take(x, i), dtype=dtype)
    assert_array(mx.take(a, 1, axis=1), np.take(x, 1, axis=1), dtype=dtype)
    assert_array(mx.take(a, -1), np.take(x, -1), dtype=dtype)


def test_take_more():
    b = np.arange(24).reshape(2, 3, 4)
    assert_array(mx.take(mx.array(b), mx.array([[2, 0]]), axis=1), np.take(b, [[2, 0]], axis=1))
    assert mx.take(mx.zeros((0, 3)), mx.array([], dtype=mx.int32), axis=0).shape == (0, 3)
    assert mx.take(mx.array(5), mx.array([0, 0])).tolist() == [5, 5]
    with pytest.raises(IndexError, match=r"\[take\] Received invalid axis 2 for array with 2 dimensions."):
        mx.take(mx.array(X[0]), mx.array([0]), axis=2)
    with pytest.raises(IndexError, match=r"\[take\] Received invalid axis 0 for array with 0 dimensions."):
        mx.take(mx.array(5), mx.array([0]), axis=0)
    with pytest.raises(ValueError, match="Indices must be integral"):
        mx.take(mx.array(X), mx.array([1.0]))
    with pytest.raises(IndexError, match="out of bounds"):
        mx.take(mx.array(X), mx.array([24])).tolist()


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_take_along_axis(dtype):
    x = sample((3, 4), dtype)
    a = mx.array(x, dtype=dtype)
    i = np.array([[1], [0], [3]])
    assert_array(mx.take_along_axis(a, mx.array(i), axis=1), np.take_along_axis(x, i, axis=1), dtype=dtype)
    assert_array(mx.take_along_axis(a, mx.array(i)), np.take_along_axis(x, i, axis=-1), dtype=dtype)
    j = np.array([[2, 0, 1, -1]])
    assert_array(mx.take_along_axis(a, mx.array(j, dtype=mx.int8), axis=0),
                 np.take_along_axis(x, j, axis=0), dtype=dtype)
    f = np.array([11, 0, 5])
    assert_array(mx.take_along_axis(a, mx.array(f), axis=None), np.take_along_axis(x, f, axis=None), dtype=dtype)


def test_take_along_axis_broadcast_and_errors():
    a = mx.array(X[0])
    assert_array(mx.take_along_axis(a, mx.array([[3, -1]]), axis=1), X[0][:, [3, 3]])
    assert_array(mx.take_along_axis(mx.arange(4).reshape(4, 1), mx.array([[0, 0, 0]]), axis=1),
                 np.repeat(np.arange(4).reshape(4, 1), 3, axis=1))
    with pytest.raises(IndexError, match=r"\[take_along_axis\] Axis 2 is out of bounds for array with 2 dimensions."):
        mx.take_along_axis(a, mx.array([[1]]), axis=2)
    with pytest.raises(ValueError, match=r"Indices of dimension 1 does not match array of dimension 2."):
        mx.take_along_axis(a, mx.array([1, 0]), axis=0)
    with pytest.raises(ValueError, match=r"Indices of dimension 2 does not match array of dimension 1."):
        mx.take_along_axis(a, mx.array([[1]]), axis=None)
    with pytest.raises(ValueError, match=r"\[broadcast_shapes\] Shapes \(4\) and \(2\) cannot be broadcast."):
        mx.take_along_axis(a, mx.array([[1, 0]]), axis=0)
    with pytest.raises(ValueError, match="Indices must be integral"):
        mx.take_along_axis(a, mx.array([[1.0]]), axis=0)
    with pytest.raises(IndexError, match="out of bounds"):
        mx.take_along_axis(a, mx.array([[3, 0, 0, 0]]), axis=0).tolist()


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_put_along_axis(dtype):
    x = sample((3, 4), dtype)
    v = sample((3, 1), dtype, seed=5)
    i = np.array([[1], [0], [3]])
    want = x.copy()
    np.put_along_axis(want, i, v, axis=1)
    got = mx.put_along_axis(mx.array(x, dtype=dtype), mx.array(i), mx.array(v, dtype=dtype), axis=1)
    assert_array(got, want, dtype=dtype)


def test_put_along_axis_more():
    a = mx.array(X[0])
    # repeated indices: the last value wins; a scalar broadcasts, cast to a's dtype
    got = mx.put_along_axis(a, mx.array([[0, 0], [1, 1], [2, -1]]), mx.array([[5, 6], [7, 8], [9, 10]]), axis=1)
    assert got.tolist() == [[6, 1, 2, 3], [4, 8, 6, 7], [8, 9, 9, 10]]
    got = mx.put_along_axis(a, mx.array([[1], [0], [2]]), mx.array(1.5), axis=1)
    assert got.dtype == mx.int32 and got.tolist() == [[0, 1, 2, 3], [1, 5, 6, 7], [8, 9, 1, 11]]
    # MLX: the indices broadcast with the values; axis=None flattens and keeps the shape
    got = mx.put_along_axis(a, mx.array([[1]]), mx.array([[5, 6]]), axis=1)
    assert got.tolist() == [[0, 6, 2, 3], [4, 6, 6, 7], [8, 6, 10, 11]]
    got = mx.put_along_axis(a, mx.array([1, 0]), mx.array([7, 8]))
    assert got.tolist() == [[8, 7, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    with pytest.raises(IndexError, match=r"\[put_along_axis\] Axis -3 is out of bounds"):
        mx.put_along_axis(a, mx.array([[1]]), mx.array([[5]]), axis=-3)
    with pytest.raises(ValueError, match=r"Shapes \(4\) and \(3\) cannot be broadcast."):
        mx.put_along_axis(a, mx.array([[1, 0, 2]]), mx.array([[5]]), axis=0)
    with pytest.raises(ValueError, match="Indices of dimension 1 does not match array of dimension 2."):
        mx.put_along_axis(a, mx.array([1]), mx.array([[5]]), axis=0)
    with pytest.raises(IndexError, match="out of bounds"):
        mx.put_along_axis(a, mx.array([[3]]), mx.array(0), axis=0).tolist()


def test_slice_and_slice_update():
    a = mx.array(X[0])
    assert mx.slice(a, mx.array([1, 1]), (0, 1), (2, 2)).tolist() == [[5, 6], [9, 10]]
    assert mx.slice(a, start_indices=mx.array(1), axes=(1,), slice_size=(2, 1)).tolist() == [[1], [5]]
    z = mx.zeros((3, 3))
    got = mx.slice_update(z, mx.ones((1, 2)), start_indices=mx.array([1, 1]), axes=(0, 1))
    assert got.tolist() == [[0, 0, 0], [0, 1, 1], [0, 0, 0]]
    got = mx.slice_update(a, mx.ones((2,)) * 1.5, mx.array([1, 1]), (0, 1))
    assert got.dtype == mx.int32 and got.tolist()[1] == [4, 1, 1, 7]
    with pytest.raises(ValueError, match=r"\[slice\] Number of starting indices 2 does not match number of axes 1."):
        mx.slice(a, mx.array([1, 1]), (0,), (2, 2))
    with pytest.raises(ValueError, match=r"\[slice\] Start indices must be integers, got type float32."):
        mx.slice(a, mx.array([1.0]), (0,), (2, 2))
    with pytest.raises(ValueError, match=r"\[slice\] Invalid slice size for array with 2 dimensions."):
        mx.slice(a, mx.array([1]), (0,), (2,))
    with pytest.raises(ValueError, match=r"\[slice\] Invalid slice size \(4,2\) for array with shape \(3,4\)."):
        mx.slice(a, mx.array([1]), (0,), (4, 2))
    with pytest.raises(IndexError, match=r"\[slice\] Invalid axis 3 for array with dimension 2."):
        mx.slice(a, mx.array([1]), (3,), (2, 2))
    with pytest.raises(ValueError, match="must be zero or one dimensional but has dimension 2"):
        mx.slice(a, mx.array([[1]]), (0,), (2, 2))
    with pytest.raises(TypeError):
        mx.slice(a, 1, (0,), (2, 2))
    with pytest.raises(ValueError, match=r"\[slice_update\] Number of starting indices 1 does not match number of axes 2."):
        mx.slice_update(a, mx.ones((1, 2)), mx.array([1]), (0, 1))
    with pytest.raises(IndexError, match=r"\[slice_update\] Invalid axis 2 for array with dimension 2."):
        mx.slice_update(a, mx.ones((1, 2)), mx.array([1, 2]), (0, 2))
    with pytest.raises(ValueError, match="does not fit array of shape"):
        mx.slice_update(a, mx.ones((3, 2, 2)), mx.array([1, 1]), (0, 1))
    # a window past the end: MLX reads or writes out of bounds, ember refuses
    with pytest.raises(IndexError, match="with slice size 2 is out of bounds for axis 0 with size 3"):
        mx.slice(a, mx.array([2]), (0,), (2, 4)).tolist()
    with pytest.raises(IndexError, match="out of bounds"):
        mx.slice_update(a, mx.ones((4,)), mx.array([1, 1]), (0, 1)).tolist()


@pytest.mark.parametrize("name, params, npos, default", [
    ("take", ["a", "indices", "axis", "stream"], 1, ("axis", None)),
    ("take_along_axis", ["a", "indices", "axis", "stream"], 1, ("axis", -1)),
    ("put_along_axis", ["a", "indices", "values", "axis", "stream"], 1, ("axis", None)),
    ("slice", ["a", "start_indices", "axes", "slice_size", "stream"], 0, None),
    ("slice_update", ["a", "update", "start_indices", "axes", "stream"], 0, None),
])
def test_index_function_signatures(name, params, npos, default):
    sig = inspect.signature(getattr(mx, name))
    ps = list(sig.parameters.values())
    assert [p.name for p in ps] == params
    assert sum(p.kind is p.POSITIONAL_ONLY for p in ps) == npos
    assert ps[-1].kind is ps[-1].KEYWORD_ONLY
    if default:
        assert sig.parameters[default[0]].default == default[1]
