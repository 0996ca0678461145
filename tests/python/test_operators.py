"""Python operators on arrays: MLX's weak scalars, reflected and in-place
forms, comparisons, and the errors for what cannot be an operand."""
import operator

import numpy as np
import pytest

import ember.core as mx
from conftest import assert_array

i8 = lambda: mx.array([1, 2], mx.int8)  # noqa: E731
i32 = lambda: mx.array([1, 2])  # noqa: E731
f32 = lambda: mx.array([1.0, 2.0])  # noqa: E731
b = lambda: mx.array([True, False])  # noqa: E731


@pytest.mark.parametrize("expr, dtype, values", [
    ("i8() + 1", mx.int8, [2, 3]),
    ("1 + i8()", mx.int8, [2, 3]),
    ("i8() + 1.5", mx.float32, [2.5, 3.5]),
    ("i32() + 1.5", mx.float32, [2.5, 3.5]),
    ("b() + 1", mx.int32, [2, 1]),
    ("b() + True", mx.bool_, [True, True]),
    ("b() + 1.5", mx.float32, [2.5, 1.5]),
    ("i32() + True", mx.int32, [2, 3]),
    ("mx.array([1, 2], mx.uint8) - 1", mx.uint8, [0, 1]),
    ("1 - i8()", mx.int8, [0, -1]),
    ("mx.array([1, 2], mx.float16) + 1.5", mx.float16, [2.5, 3.5]),
    ("i8() + 1j", mx.complex64, [1 + 1j, 2 + 1j]),
    ("i32() / 2", mx.float32, [0.5, 1.0]),
    ("i32() // 2", mx.int32, [0, 1]),
    ("2 ** i32()", mx.int32, [2, 4]),
    ("i32() ** 2", mx.int32, [1, 4]),
    ("i32() % 3", mx.int32, [1, 2]),
    ("-i32()", mx.int32, [-1, -2]),
    ("~b()", mx.bool_, [False, True]),
    ("~i32()", mx.int32, [-2, -3]),
    ("abs(mx.array([-1, 2]))", mx.int32, [1, 2]),
    ("+i32()", mx.int32, [1, 2]),
    ("i32() & 1", mx.int32, [1, 0]),
    ("b() | True", mx.bool_, [True, True]),
    ("i32() ^ 3", mx.int32, [2, 1]),
    ("i32() << 1", mx.int32, [2, 4]),
    ("i32() >> 1", mx.int32, [0, 1]),
    ("i8() + mx.array(3)", mx.int32, [4, 5]),
    ("i8() + np.int64(3)", mx.int8, [4, 5]),
    ("i32() + np.float64(1.5)", mx.float32, [2.5, 3.5]),
    ("i32() + np.array([1, 2], np.int32)", mx.int32, [2, 4]),
    ("i32() + 1e40", mx.float32, [float("inf")] * 2),
    ("i32().__div__(2)", mx.float32, [0.5, 1.0]),
    ("i32().__rdiv__(2)", mx.float32, [2.0, 1.0]),
    ("pow(i32(), 2)", mx.int32, [1, 4]),
])
def test_operator_results(expr, dtype, values):
    r = eval(expr)
    assert r.dtype == dtype
    assert r.tolist() == values


@pytest.mark.parametrize("expr, value", [
    ("i8() + 300", 300), ("i8() + (-129)", -129), ("mx.array([1], mx.uint8) + (-1)", -1),
    ("mx.array([1], mx.uint8) + 256", 256), ("i8() * 2**40", 2**40), ("i32() + 2**40", 2**40),
    ("i32() + 2**63", 2**63),
])
def test_weak_int_overflow(expr, value):
    with pytest.raises(ValueError, match=f"Converting {value} to .* would result in overflow"):
        eval(expr)


def test_overflow_message_is_mlx():
    with pytest.raises(ValueError) as e:
        i8() + 300
    assert str(e.value) == "Converting 300 to int8 would result in overflow."


def test_uint64_big_scalar():
    a = mx.array([1], mx.uint64) + (2**64 - 2)
    assert a.dtype == mx.uint64 and a.tolist() == [2**64 - 1]


@pytest.mark.parametrize("op, what", [
    ("+", "addition"), ("-", "subtraction"), ("*", "multiplication"), ("/", "division"),
    ("//", "floor division"), ("%", "modulus"), ("**", "power"), ("<", "less than"),
    ("<=", "less than or equal"), (">", "greater than"), (">=", "greater than or equal"),
    ("&", "bitwise and"), ("|", "bitwise or"), ("^", "bitwise xor"), ("<<", "left shift"),
    (">>", "right shift"),
])
def test_bad_operand_messages(op, what):
    with pytest.raises(ValueError, match=f"Cannot perform {what} on an ember.core.array and str"):
        eval(f'i32() {op} "s"')
    with pytest.raises(ValueError, match="and list"):
        eval(f"i32() {op} [1, 2]")
    with pytest.raises(TypeError):
        eval(f"i32() {op} None")


def test_equality_with_non_arrays():
    assert (i32() == "a") is False
    assert (i32() != "a") is True
    assert (i32() == [1, 2]) is False
    assert (i32() == None) is False  # noqa: E711


def test_comparisons_return_arrays():
    x = mx.array([1, 2, 3])
    for op, npop in [(operator.lt, np.less), (operator.le, np.less_equal),
                     (operator.gt, np.greater), (operator.ge, np.greater_equal),
                     (operator.eq, np.equal), (operator.ne, np.not_equal)]:
        r = op(x, 2)
        assert r.dtype == mx.bool_
        assert r.tolist() == npop([1, 2, 3], 2).tolist()
        assert op(2, x).tolist() == npop(2, [1, 2, 3]).tolist()


def test_matmul_operator():
    a = mx.array([[1.0, 2.0], [3.0, 4.0]])
    assert_array(a @ a, np.array([[7.0, 10.0], [15.0, 22.0]], np.float32), mx.float32)
    assert_array(a @ mx.array([1.0, 1.0]), np.array([3.0, 7.0], np.float32), mx.float32)
    with pytest.raises(TypeError):
        a @ "x"
    with pytest.raises(TypeError):
        [1, 2] @ mx.array([1, 2])
    with pytest.raises(TypeError):
        a @ 2.0


def test_inplace_rebinds_same_object():
    x = mx.array([1, 2])
    y = x
    x += 1
    assert x is y and y.tolist() == [2, 3]
    x = mx.array([1, 2])
    x += 1.5  # the dtype may change, as in MLX
    assert x.dtype == mx.float32 and x.tolist() == [2.5, 3.5]
    x = mx.array([1, 2], mx.int8)
    x += mx.array([1], mx.int32)
    assert x.dtype == mx.int32 and x.tolist() == [2, 3]
    x = mx.array([1.0])
    x //= 2
    assert x.tolist() == [0.0]
    x = mx.array([[1.0]])
    z = x
    x @= mx.array([[2.0]])
    assert z is x and x.tolist() == [[2.0]]
    for op in ("-=", "*=", "**=", "%=", "&=", "|=", "^=", "<<=", ">>="):
        x = mx.array([6, 3])
        y = x
        exec(f"x {op} 2")
        assert x is y


def test_inplace_division_needs_float():
    x = mx.array([1, 2])
    with pytest.raises(ValueError, match="In place division cannot cast to non-floating point type."):
        x /= 2
    f = mx.array([1.0, 2.0])
    g = f
    f /= 2
    assert g is f and f.tolist() == [0.5, 1.0]


def test_inplace_does_not_touch_other_objects():
    a = mx.array([1, 2])
    b = mx.array(a)
    a += 10
    assert b.tolist() == [1, 2]


def test_bitwise_on_floats_refused():
    with pytest.raises(ValueError):
        f32() & 1
    with pytest.raises(ValueError):
        ~f32()
    with pytest.raises(ValueError):
        -b()
