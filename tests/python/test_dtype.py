"""Dtype objects, categories, finfo/iinfo, issubdtype, isdtype, result_type."""
import pickle

import numpy as np
import pytest

import ember.core as mx
from conftest import ALL_DTYPES, FLOATS, INTS, NP, dtype_name

SIZES = {mx.bool_: 1, mx.uint8: 1, mx.uint16: 2, mx.uint32: 4, mx.uint64: 8, mx.int8: 1,
         mx.int16: 2, mx.int32: 4, mx.int64: 8, mx.float16: 2, mx.bfloat16: 2,
         mx.float32: 4, mx.float64: 8, mx.complex64: 8}


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=dtype_name)
def test_dtype_objects(dtype):
    assert dtype.size == SIZES[dtype]
    assert dtype == dtype and not (dtype != dtype)
    assert hash(dtype) == hash(dtype)
    assert repr(dtype) == str(dtype) == "ember.core." + dtype_name(dtype)
    assert {dtype: 1}[dtype] == 1
    assert pickle.loads(pickle.dumps(dtype)) is dtype
    assert type(dtype) is mx.Dtype


def test_dtype_distinct_and_no_constructor():
    assert len({hash(d) for d in ALL_DTYPES}) == len(ALL_DTYPES)
    assert mx.float32 != mx.float64
    assert (mx.float32 == "float32") is False
    assert (mx.float32 == np.float32) is False
    with pytest.raises(TypeError):
        mx.Dtype()
    with pytest.raises(TypeError):
        mx.float32 < mx.float64


def test_constants():
    import math
    assert mx.pi == math.pi and mx.e == math.e
    assert mx.inf == math.inf and math.isnan(mx.nan)
    assert mx.euler_gamma == pytest.approx(0.5772156649015329)
    assert mx.newaxis is None
    assert isinstance(mx.__version__, str)


def test_categories():
    names = [c.name for c in mx.DtypeCategory]
    assert names == ["complexfloating", "floating", "inexact", "signedinteger",
                     "unsignedinteger", "integer", "number", "generic"]
    assert mx.floating is mx.DtypeCategory.floating
    assert repr(mx.floating) == "<DtypeCategory.floating: 1>"


@pytest.mark.parametrize("a, b, expected", [
    (mx.float32, mx.floating, True), (mx.floating, mx.inexact, True),
    (mx.int32, mx.int32, True), (mx.bool_, mx.generic, True), (mx.bool_, mx.number, False),
    (mx.bool_, mx.integer, False), (mx.complex64, mx.inexact, True),
    (mx.uint8, mx.signedinteger, False), (mx.uint8, mx.unsignedinteger, True),
    (mx.uint8, mx.integer, True), (mx.number, mx.float32, False),
    (mx.generic, mx.generic, True), (mx.bfloat16, mx.floating, True),
    (mx.int8, mx.floating, False), (mx.float16, mx.float32, False),
    (mx.integer, mx.number, True), (mx.number, mx.integer, False),
])
def test_issubdtype(a, b, expected):
    assert mx.issubdtype(a, b) is expected


def test_issubdtype_errors():
    with pytest.raises(ValueError, match="second input"):
        mx.issubdtype(mx.float32, np.floating)
    with pytest.raises(ValueError, match="first input"):
        mx.issubdtype("float32", mx.floating)


@pytest.mark.parametrize("dtype, kind, expected", [
    (mx.int8, "integral", True), (mx.bool_, "bool", True), (mx.complex64, "numeric", True),
    (mx.bool_, "numeric", False), (mx.float32, ("integral", "real floating"), True),
    (mx.float32, mx.float32, True), (mx.complex64, "complex floating", True),
    (mx.uint8, "signed integer", False), (mx.uint8, "unsigned integer", True),
    (mx.float16, "real floating", True), (mx.int32, ("bool", mx.float32), False),
])
def test_isdtype(dtype, kind, expected):
    assert mx.isdtype(dtype, kind) is expected


def test_isdtype_unknown_kind():
    with pytest.raises(ValueError, match="Unknown data type kind"):
        mx.isdtype(mx.float32, "foo")


# MLX's promotion table, spot-checked (the full table is the core's test).
@pytest.mark.parametrize("a, b, r", [
    (mx.uint8, mx.int8, mx.int16), (mx.uint16, mx.int16, mx.int32), (mx.uint32, mx.int32, mx.int64),
    (mx.uint64, mx.int8, mx.float32), (mx.int32, mx.float16, mx.float16),
    (mx.int32, mx.bfloat16, mx.bfloat16), (mx.float16, mx.bfloat16, mx.float32),
    (mx.float64, mx.float32, mx.float64), (mx.complex64, mx.float64, mx.complex64),
    (mx.bool_, mx.bool_, mx.bool_), (mx.bool_, mx.int8, mx.int8),
])
def test_result_type(a, b, r):
    assert mx.result_type(a, b) == r
    assert mx.result_type(mx.zeros((1,), dtype=a) if False else a, b) == r


def test_result_type_arrays_and_errors():
    assert mx.result_type(mx.array([1], mx.int8), mx.uint8) == mx.int16
    assert mx.result_type(mx.float32) == mx.float32
    with pytest.raises(ValueError, match="At least one"):
        mx.result_type()
    with pytest.raises(ValueError, match="Inputs must be arrays or dtypes"):
        mx.result_type(1)


def test_can_cast():
    assert mx.can_cast(mx.int8, mx.int16)
    assert not mx.can_cast(mx.int16, mx.int8)
    assert not mx.can_cast(mx.float32, mx.int32)
    assert mx.can_cast(mx.bool_, mx.float32)


@pytest.mark.parametrize("dtype", FLOATS + [mx.complex64], ids=dtype_name)
def test_finfo(dtype):
    f = mx.finfo(dtype)
    ref_dt = {mx.bfloat16: None, mx.complex64: np.float32}.get(dtype, NP[dtype])
    if ref_dt is not None:
        r = np.finfo(ref_dt)
        assert f.max == float(r.max) and f.min == float(r.min)
        assert f.eps == float(r.eps) and f.smallest_normal == float(r.smallest_normal)
        assert f.bits == r.bits
    else:
        assert f.max == 3.3895313892515355e+38 and f.eps == 0.0078125 and f.bits == 16
    assert f.dtype == (mx.float32 if dtype == mx.complex64 else dtype)


def test_finfo_repr_and_errors():
    assert repr(mx.finfo(mx.float32)) == "finfo(min=-3.40282e+38, max=3.40282e+38, dtype=float32)"
    assert repr(mx.finfo(mx.float16)) == "finfo(min=-65504, max=65504, dtype=float16)"
    with pytest.raises(ValueError, match=r"\[finfo\] dtype int32 is not inexact."):
        mx.finfo(mx.int32)
    with pytest.raises(TypeError):
        mx.finfo(np.float32)


@pytest.mark.parametrize("dtype", INTS, ids=dtype_name)
def test_iinfo(dtype):
    i, r = mx.iinfo(dtype), np.iinfo(NP[dtype])
    assert (i.min, i.max) == (int(r.min), int(r.max))
    assert i.dtype == dtype
    assert repr(i) == f"iinfo(min={r.min}, max={r.max}, dtype={dtype_name(dtype)})"


def test_iinfo_errors():
    with pytest.raises(ValueError, match="Only integer types supported but float32 was provided"):
        mx.iinfo(mx.float32)
    with pytest.raises(ValueError):
        mx.iinfo(mx.bool_)
