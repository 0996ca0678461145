"""The array type: construction and MLX's default dtypes, properties,
conversions to Python and NumPy, buffers, DLPack, pickling and copies."""
import copy
import pickle

import numpy as np
import pytest

import ember.core as mx
from conftest import ALL_DTYPES, NP, SHAPES, assert_array, dtype_name, sample


# ---------------------------------------------------------------- construction

@pytest.mark.parametrize("val, dtype, shape", [
    (True, mx.bool_, ()),
    (3, mx.int32, ()),
    (2**31, mx.int64, ()),
    (-2**31, mx.int32, ()),
    (-2**63, mx.int64, ()),
    (2.5, mx.float32, ()),
    (1j, mx.complex64, ()),
    ([1, 2, 3, 4], mx.int32, (4,)),
    ([1.0, 2.0], mx.float32, (2,)),
    ([True, 2], mx.int32, (2,)),
    ([1, 2.5], mx.float32, (2,)),
    ([1, 2j], mx.complex64, (2,)),
    ([1, 2**40], mx.int64, (2,)),
    ([[1, 2], [3, 4.0]], mx.float32, (2, 2)),
    ((1, 2), mx.int32, (2,)),
    ([], mx.float32, (0,)),
    ([[]], mx.float32, (1, 0)),
    ([[], []], mx.float32, (2, 0)),
    ((), mx.float32, (0,)),
    ([[[1]]], mx.int32, (1, 1, 1)),
])
def test_default_dtypes(val, dtype, shape):
    a = mx.array(val)
    assert a.dtype == dtype
    assert a.shape == shape
    assert_array(a, np.array(val, dtype=NP[dtype]).reshape(shape))


def test_arrays_inside_lists():
    a = mx.array([mx.array(1, mx.int8), 2])
    assert a.dtype == mx.int32 and a.tolist() == [1, 2]
    b = mx.array([mx.array([1], mx.float16), [2]])
    assert b.dtype == mx.float16 and b.tolist() == [[1.0], [2.0]]
    c = mx.array([mx.array([1, 2]), mx.array([3, 4])])
    assert c.shape == (2, 2) and c.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_dtype_argument(dtype):
    a = mx.array([0, 1, 2], dtype=dtype)
    assert a.dtype == dtype
    assert_array(a, np.array([0, 1, 2]).astype(NP[dtype]))
    s = mx.array(1, dtype)
    assert s.dtype == dtype and s.shape == ()


def test_dtype_argument_wraps_like_astype():
    assert mx.array([300], dtype=mx.int8).tolist() == [44]
    assert mx.array(1.5, dtype=mx.int32).item() == 1


@pytest.mark.parametrize("val, msg", [
    ([[1, 2], [3]], "Initialization encountered non-uniform length."),
    ([1, [2]], "Initialization encountered extra dimension."),
    ([[1], 2], "non-uniform length"),
    ("abc", "Invalid type str received in array initialization."),
    ([None], "Invalid type NoneType received in array initialization."),
    ({1: 2}, "Invalid type dict received in array initialization."),
    (range(3), "Invalid type range received in array initialization."),
])
def test_construction_errors(val, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(".", r"\.")):
        mx.array(val)


def test_construction_type_errors():
    with pytest.raises(TypeError):
        mx.array(None)
    with pytest.raises(TypeError):
        mx.array([1, 2], dtype="float32")
    with pytest.raises(TypeError):
        mx.array([1, 2], dtype=np.float32)
    with pytest.raises(TypeError):
        mx.array([1], dtype=mx.floating)
    with pytest.raises(TypeError):
        mx.array()


def test_integer_overflow_raises():
    with pytest.raises(ValueError, match="overflow"):
        mx.array(2**63)
    with pytest.raises(ValueError, match="overflow"):
        mx.array([1, 2**64])


# ---------------------------------------------------------------- NumPy and buffers in

@pytest.mark.parametrize("npdt, dt", [
    (np.bool_, mx.bool_), (np.uint8, mx.uint8), (np.uint16, mx.uint16), (np.uint32, mx.uint32),
    (np.uint64, mx.uint64), (np.int8, mx.int8), (np.int16, mx.int16), (np.int32, mx.int32),
    (np.int64, mx.int64), (np.float16, mx.float16), (np.float32, mx.float32),
    (np.float64, mx.float32), (np.complex64, mx.complex64), (np.complex128, mx.complex64),
])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_from_numpy(npdt, dt, shape):
    x = (np.arange(int(np.prod(shape))) % 3).reshape(shape).astype(npdt)
    a = mx.array(x)
    assert a.dtype == dt
    assert_array(a, x.astype(NP[dt]))


def test_from_numpy_float64_kept_with_dtype():
    a = mx.array(np.arange(3.0), dtype=mx.float64)
    assert a.dtype == mx.float64
    assert a.tolist() == [0.0, 1.0, 2.0]


def test_from_numpy_strided_and_copied():
    x = np.arange(12).reshape(3, 4)
    a = mx.array(x[:, ::2])
    assert a.tolist() == [[0, 2], [4, 6], [8, 10]]
    b = mx.array(x.T)
    assert b.tolist() == x.T.tolist()
    y = np.zeros(3, np.float32)
    c = mx.array(y)
    y[0] = 5  # array() copies
    assert c.tolist() == [0.0, 0.0, 0.0]


def test_from_numpy_scalars_and_buffers():
    assert mx.array(np.float64(2.0)).dtype == mx.float32
    assert mx.array(np.int64(5)).dtype == mx.int64
    assert mx.array(np.bool_(True)).item() is True
    assert mx.array(memoryview(b"ab")).tolist() == [97, 98]
    assert mx.array(bytearray(b"ab")).dtype == mx.uint8


def test_from_numpy_unsupported():
    with pytest.raises(ValueError):
        mx.array(np.array(["a"]))
    with pytest.raises(ValueError):
        mx.array(np.zeros(2, dtype=object))


def test_from_array():
    a = mx.array([1, 2])
    b = mx.array(a)
    assert b.tolist() == [1, 2] and b.dtype == mx.int32
    c = mx.array(a, dtype=mx.float32)
    assert c.dtype == mx.float32


def test_mlx_array_protocol():
    class Wrapper:
        def __mlx_array__(self):
            return mx.array([7, 8])
    assert mx.array(Wrapper()).tolist() == [7, 8]


# ---------------------------------------------------------------- properties

def test_properties():
    a = mx.array([[1, 2, 3], [4, 5, 6]], dtype=mx.int16)
    assert a.shape == (2, 3) and isinstance(a.shape, tuple)
    assert a.dtype == mx.int16
    assert a.ndim == 2 and a.size == 6 and a.itemsize == 2 and a.nbytes == 12
    s = mx.array(1.0)
    assert s.shape == () and s.ndim == 0 and s.size == 1


def test_T_real_imag():
    a = mx.array([[1, 2, 3], [4, 5, 6]])
    assert a.T.shape == (3, 2)
    assert a.T.tolist() == [[1, 4], [2, 5], [3, 6]]
    z = mx.array([1 + 2j, 3 - 1j])
    assert_array(z.real, np.array([1, 3], np.float32), mx.float32)
    assert_array(z.imag, np.array([2, -1], np.float32), mx.float32)
    f = mx.array([1.0])
    assert f.real.tolist() == [1.0] and f.imag.tolist() == [0.0]


# ---------------------------------------------------------------- to Python

@pytest.mark.parametrize("val, dtype, expected", [
    (True, mx.bool_, True), (5, mx.int32, 5), (2**40, mx.int64, 2**40),
    (2**64 - 1, mx.uint64, 2**64 - 1), (2.5, mx.float32, 2.5), (1.5, mx.float16, 1.5),
    (1.0, mx.bfloat16, 1.0), (1j, mx.complex64, 1j), (255, mx.uint8, 255),
])
def test_item(val, dtype, expected):
    r = mx.array(val, dtype).item()
    assert r == expected and type(r) is type(expected)


def test_item_errors():
    with pytest.raises(ValueError):
        mx.array([1, 2]).item()
    with pytest.raises(ValueError):
        mx.array([]).item()
    assert mx.array([7]).item() == 7


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_tolist(dtype):
    x = sample((2, 3), dtype, 0, 4)
    a = mx.array(x, dtype=dtype)
    expected = x.tolist()
    assert a.tolist() == expected
    assert mx.array(x[0, 0], dtype=dtype).tolist() == x[0, 0].item()


def test_tolist_empty_and_scalar():
    assert mx.array([]).tolist() == []
    assert mx.array([[], []]).tolist() == [[], []]
    assert mx.array(3.5).tolist() == 3.5


def test_len_iter():
    a = mx.array([[1, 2, 3], [4, 5, 6]])
    assert len(a) == 2
    rows = list(a)
    assert [r.tolist() for r in rows] == [[1, 2, 3], [4, 5, 6]]
    assert type(iter(a)).__name__ == "ArrayIterator"
    assert [x.item() for x in mx.array([1, 2])] == [1, 2]
    with pytest.raises(TypeError):
        len(mx.array(1))
    with pytest.raises(TypeError):
        iter(mx.array(1))


def test_scalar_conversions():
    assert bool(mx.array(0)) is False
    assert bool(mx.array([1])) is True
    assert int(mx.array(2.7)) == 2
    assert float(mx.array(2)) == 2.0
    assert complex(mx.array(1j)) == 1j
    assert hex(mx.array(5)) == "0x5"
    assert list(range(mx.array(3))) == [0, 1, 2]
    for bad in (mx.array([1, 2]), mx.array([])):
        with pytest.raises(ValueError):
            bool(bad)
    with pytest.raises(ValueError):
        int(mx.array([1, 2]))
    with pytest.raises(TypeError):
        [1, 2][mx.array(1.5)]


def test_format():
    s = mx.array(3.5)
    assert format(s, ".2f") == "3.50"
    assert f"{mx.array(7):>3}" == "  7"
    with pytest.raises(TypeError):
        format(mx.array([1.0]), ".2f")


def test_repr_and_str():
    assert repr(mx.array([1, 2, 3])) == "array([1, 2, 3], dtype=int32)"
    assert str(mx.array([1, 2, 3])) == "array([1, 2, 3], dtype=int32)"
    assert repr(mx.array(True)) == "array(True, dtype=bool)"
    assert format(mx.array([1]), "") == "array([1], dtype=int32)"


# ---------------------------------------------------------------- to NumPy

@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if d != mx.bfloat16], ids=dtype_name)
def test_to_numpy(dtype):
    x = sample((2, 3), dtype, 0, 4)
    a = mx.array(x, dtype=dtype)
    y = np.array(a)
    assert y.dtype == NP[dtype]
    np.testing.assert_array_equal(y, x)


def test_to_numpy_shares_memory():
    a = mx.array([1.0, 2.0, 3.0])
    mx.eval(a)
    v1 = np.array(a, copy=False)
    v2 = np.asarray(a)
    assert np.shares_memory(v1, v2)
    assert not v1.flags.writeable  # ember arrays are immutable
    c = np.array(a)  # a copy by default
    assert not np.shares_memory(c, v1)
    c[0] = 7
    assert a.tolist() == [1.0, 2.0, 3.0]


def test_to_numpy_lazy_and_bfloat16():
    a = mx.array([1.0, 2.0]) + mx.array([1.0, 1.0])
    np.testing.assert_array_equal(np.array(a), [2.0, 3.0])
    b = mx.array([1.5, 2.0], mx.bfloat16)
    y = np.array(b)
    assert y.dtype == np.float32 and y.tolist() == [1.5, 2.0]
    assert a.__array__(np.float64).dtype == np.float64
    with pytest.raises(BufferError):
        memoryview(b)


def test_buffer_protocol():
    a = mx.array([[1, 2], [3, 4]], dtype=mx.int16)
    m = memoryview(a)
    assert m.format == "h" and m.shape == (2, 2) and m.readonly
    assert m.tolist() == [[1, 2], [3, 4]]
    with pytest.raises(TypeError):
        m[0, 0] = 5  # read-only export
    assert a.tolist() == [[1, 2], [3, 4]]


# ---------------------------------------------------------------- DLPack

def test_dlpack_export():
    a = mx.array([1.0, 2.0, 3.0])
    assert a.__dlpack_device__() == (1, 0)
    y = np.from_dlpack(a)
    np.testing.assert_array_equal(y, [1.0, 2.0, 3.0])
    assert not y.flags.writeable


@pytest.mark.parametrize("npdt", [np.int8, np.uint16, np.int32, np.int64, np.float16,
                                  np.float32, np.bool_, np.complex64])
def test_from_dlpack(npdt):
    x = np.arange(6).reshape(2, 3).astype(npdt)
    a = mx.from_dlpack(x)
    np.testing.assert_array_equal(np.array(a), x)
    b = mx.from_dlpack(x[:, ::2])
    np.testing.assert_array_equal(np.array(b), x[:, ::2])


def test_from_dlpack_float64_and_roundtrip():
    assert mx.from_dlpack(np.arange(3.0)).dtype == mx.float32
    a = mx.array([[1, 2], [3, 4]])
    assert mx.from_dlpack(a).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(TypeError):
        mx.from_dlpack([1, 2])


def test_array_from_dlpack_producer_copies():
    class Producer:
        def __init__(self, x):
            self.x = x

        def __dlpack__(self, **kw):
            return self.x.__dlpack__(**kw)

        def __dlpack_device__(self):
            return self.x.__dlpack_device__()

    x = np.arange(4, dtype=np.int32)
    a = mx.array(Producer(x))
    x[0] = 100
    assert a.tolist() == [0, 1, 2, 3]


# ---------------------------------------------------------------- pickling, copies

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_pickle(dtype):
    x = sample((2, 2), dtype, 0, 4)
    a = mx.array(x, dtype=dtype)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        b = pickle.loads(pickle.dumps(a, protocol=proto))
        assert b.dtype == dtype and b.shape == a.shape
        assert b.tolist() == a.tolist()
    assert pickle.loads(pickle.dumps(mx.array(2.5))).item() == 2.5
    assert pickle.loads(pickle.dumps(dtype)) == dtype


def test_copy_deepcopy():
    a = mx.array([1, 2, 3])
    b = copy.copy(a)
    c = copy.deepcopy(a)
    assert b is not a and c is not a
    assert b.tolist() == c.tolist() == [1, 2, 3]
    d = copy.deepcopy({"x": a})
    assert d["x"].tolist() == [1, 2, 3]


def test_hash_and_weakref():
    import weakref
    a = mx.array([1])
    assert hash(a) == hash(a)
    assert {a: 1}[a] == 1
    r = weakref.ref(a)
    assert r() is a


def test_subclass():
    class Sub(mx.array):
        pass
    s = Sub([1, 2])
    assert isinstance(s, mx.array) and s.tolist() == [1, 2]
    assert (s + 1).tolist() == [2, 3]
    assert s.sum().item() == 3


def test_array_namespace():
    assert mx.array([1]).__array_namespace__() is mx
