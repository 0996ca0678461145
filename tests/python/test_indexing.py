"""__getitem__ with ints, negative ints, slices with steps, ..., None and
tuples of them, against NumPy. Advanced indexing, __setitem__ and x.at[]
updates need gather/scatter primitives that the C library lacks so far:
they raise NotImplementedError, which is tested too."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import ember.core as mx
from conftest import assert_array

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


@pytest.mark.parametrize("key", [[0, 1], mx.array([0, 1]), (slice(None), [2, 0]),
                                 mx.array([True, False])],
                         ids=["list", "int array", "tuple with list", "bool mask"])
def test_advanced_indexing_not_yet(key):
    with pytest.raises(NotImplementedError):
        mx.array(X)[key]


def test_setitem_and_at_not_yet():
    a = mx.array([1, 2, 3])
    with pytest.raises(NotImplementedError):
        a[0] = 5
    with pytest.raises(NotImplementedError):
        a.at[0].add(1)
    assert type(a.at).__name__ == "ArrayAt"
    with pytest.raises(TypeError):
        del a[0]


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
