"""Contractions and diagonals: einsum, einsum_path, tensordot, inner, outer,
kron, addmm, vecdot, diag, diagonal, trace and hadamard_transform. Values
against NumPy (MLX's own answers, recorded from mlx 0.32, where NumPy has no
equivalent: einsum_path and the Hadamard matrices of orders 12, 20, 28),
dtypes, edge cases, MLX's errors, vjp/jvp against central differences in
float64, and vmap against a loop."""
import json
import os

import numpy as np
import pytest

import ember.core as mx

from conftest import to_numpy

RNG = np.random.default_rng(7)


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def arr(x):
    """An ember array of x, float64 kept (mx.array makes it float32)."""
    x = np.asarray(x)
    return mx.array(x, dtype=mx.float64) if x.dtype == np.float64 else mx.array(x)


def close(a, b, tol=1e-5):
    a = to_numpy(a) if isinstance(a, mx.array) else np.asarray(a)
    assert a.shape == np.shape(b), (a.shape, np.shape(b))
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ---------------------------------------------------------------- einsum values

EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ji", [(3, 4)]),
    ("ii", [(4, 4)]),
    ("ii->i", [(4, 4)]),
    ("iij->j", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,i", [(5,), (5,)]),
    ("i,j", [(3,), (4,)]),
    ("i,j->ji", [(3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,jk->bik", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 3, 4), (4, 5)]),
    ("...ij,...jk->...ik", [(6, 2, 3, 4), (2, 4, 5)]),
    ("i...->...", [(3, 4, 2)]),
    ("...i->...", [(3, 4, 2)]),
    ("i...i", [(3, 4, 3)]),
    ("...,...", [(3, 4), (4,)]),
    ("ij,ij->ij", [(3, 4), (3, 4)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ij,ji->", [(3, 4), (4, 3)]),
    ("ijk,ikl->ijl", [(2, 3, 4), (2, 4, 5)]),
    ("ijk,jil->kl", [(3, 2, 4), (2, 3, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 5), (5, 6)]),
    ("abc,bcd,def,fa->", [(2, 3, 4), (3, 4, 5), (5, 6, 7), (7, 2)]),
    ("ea,fb,abcd,gc,hd->efgh", [(5, 2), (6, 3), (2, 3, 4, 5), (7, 4), (8, 5)]),
    ("bdik,acaj,ikab,ajac,ikbd", [(2, 3, 4, 5), (6, 7, 6, 8), (4, 5, 6, 2), (6, 8, 6, 7), (4, 5, 2, 3)]),
    ("ij,,jk->ik", [(2, 3), (), (3, 4)]),
    ("", [()]),
    ("->", [()]),
    ("i->", [(0,)]),
    ("ij,jk->ik", [(0, 3), (3, 4)]),
    ("ij,jk->ik", [(2, 0), (0, 4)]),
    ("Ab,bC->CA", [(2, 3), (3, 4)]),
    ("aB", [(3, 4)]),
    ("i j -> i", [(2, 3)]),
    ("ab,ab,ab->", [(2, 3), (2, 3), (2, 3)]),
    ("a,b,ab->", [(2,), (3,), (2, 3)]),
    ("ijk,k->ij", [(2, 3, 4), (4,)]),
    ("ii,i->i", [(3, 3), (3,)]),
]


@pytest.mark.parametrize("subs,shapes", EINSUM_CASES)
def test_einsum_values(subs, shapes):
    ops = [rand(*s) for s in shapes]
    r = mx.einsum(subs, *[arr(o) for o in ops])
    assert r.dtype == mx.float64
    close(r, np.einsum(subs.replace(" ", ""), *ops), 1e-10)


def random_einsum(rng):
    """Random subscripts (with repeated labels, ellipses, free and summed
    labels) and matching shapes."""
    letters = "abcdefgh"
    sizes = {c: int(rng.integers(1, 4)) for c in letters}
    nops = int(rng.integers(1, 5))
    ell = rng.random() < 0.3
    ell_shape = tuple(int(x) for x in rng.integers(1, 3, size=int(rng.integers(0, 3))))
    terms, shapes, seen = [], [], []
    for _ in range(nops):
        k = int(rng.integers(0, 4))
        t = "".join(rng.choice(list(letters[:6]), size=k))
        shape = [sizes[c] for c in t]
        if ell and rng.random() < 0.7:
            e = ell_shape[len(ell_shape) - int(rng.integers(0, len(ell_shape) + 1)):]
            pos = int(rng.integers(0, len(t) + 1))
            t = t[:pos] + "..." + t[pos:]
            shape = shape[:pos] + list(e) + shape[pos:]
        terms.append(t)
        shapes.append(tuple(shape))
        seen += [c for c in t if c != "."]
    subs = ",".join(terms)
    if rng.random() < 0.5:
        uniq = sorted(set(seen))
        out = [c for c in uniq if rng.random() < 0.5]
        rng.shuffle(out)
        has_ell = any("..." in t for t in terms)
        subs += "->" + ("..." if has_ell else "") + "".join(out)
    return subs, shapes


def test_einsum_random_against_numpy():
    rng = np.random.default_rng(1234)
    done = 0
    for _ in range(300):
        subs, shapes = random_einsum(rng)
        ops = [rng.standard_normal(s) for s in shapes]
        try:
            want = np.einsum(subs, *ops)
        except ValueError:
            continue
        got = mx.einsum(subs, *[arr(o) for o in ops])
        np.testing.assert_allclose(np.array(got), want, rtol=1e-9, atol=1e-9, err_msg=subs)
        # the optimised NumPy path gives the same values
        np.testing.assert_allclose(np.array(got), np.einsum(subs, *ops, optimize=True),
                                   rtol=1e-9, atol=1e-9, err_msg=subs)
        done += 1
    assert done > 200


def test_einsum_broadcasting():
    a, b = rand(2, 3), rand(1, 3)
    close(mx.einsum("ij,ij->ij", arr(a), arr(b)), a * b, 1e-12)
    c = rand(2, 1)
    close(mx.einsum("ij,ij->ij", arr(b), arr(c)), b * c, 1e-12)
    # a size-1 summed dimension against a full one
    x, y = rand(2, 1), rand(3, 4)
    close(mx.einsum("ij,jk->ik", arr(x), arr(y)),
          x @ np.broadcast_to(y.sum(0, keepdims=True), (1, 4)), 1e-12)
    # ellipses broadcast as arrays do
    p, q = rand(2, 3, 4), rand(3, 1)
    close(mx.einsum("...i,...i->...", arr(p), arr(q)), (p * q).sum(-1), 1e-12)
    close(mx.einsum("ii,i", arr(rand(3, 3)) * 0 + 1, mx.ones((1,), dtype=mx.float64)), 3.0)


def test_einsum_dtypes():
    a, b = mx.ones((2, 3)), mx.ones((3, 4))
    assert mx.einsum("ij,jk", a.astype(mx.float16), b.astype(mx.int32)).dtype == mx.float16
    assert mx.einsum("ij,jk", a.astype(mx.bfloat16), b).dtype == mx.float32
    assert mx.einsum("ij,jk", a, b.astype(mx.float64)).dtype == mx.float64
    assert mx.einsum("ij,jk", a.astype(mx.complex64), b).dtype == mx.complex64
    assert mx.einsum("ij->i", a.astype(mx.int8)).dtype == mx.int32
    assert mx.einsum("ij->i", a.astype(mx.bool_)).dtype == mx.int32
    assert mx.einsum("ij->ji", a.astype(mx.bool_)).dtype == mx.bool_
    x = mx.array([[1, 2], [3, 4]], dtype=mx.int32)
    # integer products are computed (MLX refuses them; NumPy's values)
    r = mx.einsum("ij,jk->ik", x, x)
    assert r.dtype == mx.int32 and r.tolist() == [[7, 10], [15, 22]]
    close(mx.einsum("ij,ij->ij", x, x), np.array([[1, 4], [9, 16]]))


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 3), (2, 3)], "[einsum] Cannot broadcast dimension 0 of input 1 with shape (2,3) to size 3."),
    ("i,i", [(3,), (4,)], "[einsum] Cannot broadcast dimension 0 of input 1 with shape (4) to size 3."),
    ("...i,...i", [(2, 3), (4, 3)], "[einsum] Cannot broadcast dimension 0 of input 1 with shape (4,3) to size 2."),
    ("ij,jk->ik", [(2, 3)], "[einsum] Number of operands, 1, does not match number of input subscripts, 2"),
    ("ij->", [(3, 3), (1,)], "[einsum] Number of operands, 2, does not match number of input subscripts, 1"),
    ("ij,jk->ii", [(2, 3), (3, 4)], "[einsum] Repeat indices not allowed in output."),
    ("i->ii", [(2,)], "[einsum] Repeat indices not allowed in output."),
    ("ijk,jk->ik", [(2, 3), (3, 4)], "[einsum] Invalid number of subscripts 3 for input 0 with 2 dimensions."),
    ("i1->", [(2, 3)], "[einsum] Subscripts must be letters, but got '1'."),
    ("ij->j->i", [(2, 3)], "[einsum] Subscripts must be letters, but got '-'."),
    ("..i", [(3, 4, 3)], "[einsum] Subscripts must be letters, but got '.'."),
    ("i....,i", [(2,), (2,)], "[einsum] Subscripts must be letters, but got '.'."),
    ("i...j...", [(3, 4, 3)], "[einsum] Only one ellipsis per subscript is allowed but found more in 'i...j...'."),
    ("ii->i", [(3, 4)], "[einsum] Dimensions of repeated subscripts do not have the same size (3 != 4)."),
    ("i->j", [(2,)], "[einsum] Output subscript 'j' does not appear in the input subscripts."),
]


@pytest.mark.parametrize("subs,shapes,msg", EINSUM_ERRORS)
def test_einsum_errors(subs, shapes, msg):
    with pytest.raises(ValueError) as e:
        mx.einsum(subs, *[mx.ones(s) for s in shapes])
    assert str(e.value) == msg


def test_einsum_argument_errors():
    with pytest.raises(ValueError, match=r"\[einsum\] At least one operand is required."):
        mx.einsum("")
    with pytest.raises(TypeError):
        mx.einsum(3, mx.ones((2,)))
    with pytest.raises(TypeError):
        mx.einsum()
    with pytest.raises(TypeError):
        mx.einsum("i", mx.ones((2,)), bogus=1)
    assert mx.einsum("ij->", mx.ones((2, 3)), stream=mx.cpu).item() == 6


# ---------------------------------------------------------------- einsum_path (MLX's answers)

PATHS = [
    ("ij,jk->ik", [(2000, 3000), (3000, 4000)], [(0, 1)], 3, 3, 48000000000, 48000000000),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)], [(1, 2), (0, 1)], 4, 3, 360, 180),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 5), (5, 6)], [(2, 3), (1, 2), (0, 1)], 5, 3, 2880, 456),
    ("abc,bcd,def,fa->", [(2, 3, 4), (3, 4, 5), (5, 6, 7), (7, 2)], [(2, 3), (0, 1), (0, 1)], 6, 4, 20160, 1100),
    ("ab,cd,bc,da->", [(2, 3), (4, 5), (3, 4), (5, 2)], [(1, 3), (1, 2), (0, 1)], 4, 3, 480, 140),
    ("a,b,ab->", [(2,), (3,), (2, 3)], [(1, 2), (0, 1)], 2, 2, 18, 16),
    ("ij,k,l->", [(2, 3), (3,), (5,)], [(0, 2), (0, 1)], 4, 3, 270, 66),
    ("i,j,k->ijk", [(2,), (4,), (3,)], [(0, 2), (0, 1)], 3, 3, 48, 30),
    ("ii->i", [(3, 3)], [(0,)], 1, 1, 3, 3),
    ("ij", [(3, 3)], [(0,)], 2, 2, 9, 9),
    ("ij->", [(2, 3)], [(0,)], 2, 2, 12, 12),
    ("i", [(0,)], [(0,)], 1, 1, 0, 0),
    ("i j -> i", [(2, 3)], [(0,)], 2, 2, 12, 12),
    ("ij,ij->ij", [(3, 3), (3, 3)], [(0, 1)], 2, 2, 9, 9),
    ("ab,ab,ab->", [(2, 3), (2, 3), (2, 3)], [(0, 1), (0, 1)], 2, 2, 18, 18),
    ("ij,jk->ik", [(2, 1), (3, 4)], [(0, 1)], 3, 3, 48, 48),
    ("...ij,...jk", [(5, 2, 3), (3, 4)], [(0, 1)], 4, 4, 240, 240),
    ("ea,fb,abcd,gc,hd->efgh", [(5, 2), (6, 3), (2, 3, 4, 5), (7, 4), (8, 5)],
     [(2, 4), (2, 3), (1, 2), (0, 1)], 8, 5, 1008000, 15360),
    ("bdik,acaj,ikab,ajac,ikbd", [(2, 3, 4, 5), (6, 7, 6, 8), (4, 5, 6, 2), (6, 8, 6, 7), (4, 5, 2, 3)],
     [(1, 3), (1, 3), (0, 1), (0, 1)], 7, 4, 201600, 1472),
]


@pytest.mark.parametrize("subs,shapes,path,ns,os_,nf,of", PATHS)
def test_einsum_path(subs, shapes, path, ns, os_, nf, of):
    p, report = mx.einsum_path(subs, *[mx.zeros(s) for s in shapes])
    assert p == path
    assert report == (f"  Complete contraction:  {subs}\n         Naive scaling:  {ns}\n"
                      f"     Optimized scaling:  {os_}\n      Naive FLOP count:  {nf}\n"
                      f"  Optimized FLOP count:  {of}\n")


def test_einsum_path_errors():
    with pytest.raises(ValueError, match="Number of operands"):
        mx.einsum_path("ij,jk", mx.ones((2, 3)))
    with pytest.raises(TypeError):
        mx.einsum_path("ij", mx.ones((2, 3)), stream=mx.cpu)


# ---------------------------------------------------------------- tensordot, inner, outer, kron

@pytest.mark.parametrize("sa,sb,axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3, 4), (4, 5), 1), ((2, 3), (4, 5), 0), ((3,), (3,), 1),
    ((), (3,), 0), ((2, 3, 4), (3, 4, 5), [[1, 2], [0, 1]]), ((2, 3, 4), (3, 4, 5), [[-2, -1], [0, 1]]),
    ((2, 3, 4), (4, 3, 5), [[2, 1], [0, 1]]), ((2, 3, 4), (3, 4, 5), ([1], [0])), ((2, 0), (0, 3), 1),
    ((2, 3), (3, 2), [[], []]),
])
def test_tensordot(sa, sb, axes):
    a, b = rand(*sa), rand(*sb)
    r = mx.tensordot(arr(a), arr(b), axes=axes)
    close(r, np.tensordot(a, b, axes=axes), 1e-10)
    assert r.dtype == mx.float64


def test_tensordot_dtypes_and_errors():
    a, b = mx.ones((2, 3, 4)), mx.ones((3, 4, 5))
    assert mx.tensordot(a, b).shape == (2, 5)
    assert mx.tensordot(a.astype(mx.float16), b.astype(mx.float16)).dtype == mx.float16
    assert mx.tensordot(a.astype(mx.int32), b.astype(mx.int32)).tolist()[0][0] == 12
    for axes, msg in [(1, "[tensordot] a and b must have the same shape on the contracted axes."),
                      (3, "[tensordot] a and b must have the same shape on the contracted axes."),
                      (-1, "[tensordot] axis must be greater or equal to 0."),
                      ([[1], [1]], "[tensordot] a and b must have the same shape on the contracted axes."),
                      ([[1, 2], [0]], "[tensordot] axes must have the same size.")]:
        with pytest.raises(ValueError) as e:
            mx.tensordot(a, b, axes=axes)
        assert str(e.value) == msg
    with pytest.raises(IndexError):
        mx.tensordot(a, b, axes=[[5], [0]])
    with pytest.raises(ValueError):
        mx.tensordot(a, b, axes=[[1, 1], [0, 0]])
    for bad in ([1, 0], 2.0, "x"):
        with pytest.raises(TypeError):
            mx.tensordot(a, b, axes=bad)


def test_inner_outer():
    for sa, sb in [((3,), (3,)), ((2, 3), (4, 3)), ((2, 1, 3), (3,)), ((), (2, 3)), ((2, 3), ())]:
        a, b = rand(*sa), rand(*sb)
        close(mx.inner(arr(a), arr(b)), np.inner(a, b), 1e-10)
    with pytest.raises(ValueError, match=r"\[inner\] a and b must have the same last dimension."):
        mx.inner(mx.ones((2, 3)), mx.ones((3, 4)))
    for sa, sb in [((3,), (4,)), ((2, 3), (3, 4)), ((), (3,)), ((0,), (3,))]:
        a, b = rand(*sa), rand(*sb)
        close(mx.outer(arr(a), arr(b)), np.outer(a, b), 1e-12)
    r = mx.outer(mx.array([1, 2], dtype=mx.int32), mx.array([3, 4], dtype=mx.int32))
    assert r.dtype == mx.int32 and r.tolist() == [[3, 4], [6, 8]]


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (2, 3)), ((2, 3), (4,)), ((), (3,)),
                                   ((), ()), ((2, 1, 3), (2, 2)), ((0, 2), (3, 1))])
def test_kron(sa, sb):
    a, b = rand(*sa), rand(*sb)
    close(mx.kron(arr(a), arr(b)), np.kron(a, b), 1e-12)


def test_kron_dtypes():
    a = mx.array([[1, 2]], dtype=mx.int32)
    assert mx.kron(a, a).dtype == mx.int32
    assert mx.kron(a.astype(mx.bool_), a.astype(mx.bool_)).dtype == mx.bool_
    r = mx.kron(mx.array(2.0), mx.array(3))
    assert r.dtype == mx.float32 and r.shape == () and r.item() == 6
    assert mx.kron(a=mx.ones((2,)), b=mx.ones((2,))).shape == (4,)


# ---------------------------------------------------------------- addmm, vecdot

def test_addmm():
    c, a, b = rand(2, 4), rand(2, 3), rand(3, 4)
    close(mx.addmm(arr(c), arr(a), arr(b)), a @ b + c, 1e-12)
    close(mx.addmm(arr(c), arr(a), arr(b), alpha=2.0, beta=0.5), 2 * a @ b + 0.5 * c, 1e-12)
    close(mx.addmm(arr(c[0]), arr(a), arr(b), 1.5, -1.0), 1.5 * a @ b - c[0], 1e-12)
    close(mx.addmm(arr(c), arr(a), arr(b), beta=0.0), a @ b, 1e-12)
    ba = rand(5, 2, 3)
    close(mx.addmm(arr(c), arr(ba), arr(b)), ba @ b + c, 1e-12)
    i = mx.ones((2, 3), dtype=mx.int32)
    r = mx.addmm(mx.ones((2, 4)), i, mx.ones((3, 4), dtype=mx.int32))
    assert r.dtype == mx.float32 and r.tolist()[0][0] == 4
    assert mx.addmm(mx.ones((2, 4), dtype=mx.float16), mx.ones((2, 3)), mx.ones((3, 4))).dtype == mx.float32
    assert mx.addmm(mx.ones((2, 4), dtype=mx.float16), mx.ones((2, 3), dtype=mx.float16),
                    mx.ones((3, 4), dtype=mx.float16)).dtype == mx.float16
    for cs in [(3, 4), (5, 2, 4)]:
        with pytest.raises(ValueError, match=r"\[addmm\] input c must broadcast to the output shape"):
            mx.addmm(mx.ones(cs), mx.ones((2, 3)), mx.ones((3, 4)))
    with pytest.raises(ValueError, match=r"\[addmm\]"):
        mx.addmm(mx.ones((2, 4)), mx.ones((3,)), mx.ones((3, 4)))
    with pytest.raises(ValueError, match=r"\[matmul\]"):
        mx.addmm(mx.ones((2, 4)), mx.ones((2, 3)), mx.ones((2, 4)))


def test_vecdot():
    a, b = rand(2, 3), rand(2, 3)
    close(mx.vecdot(arr(a), arr(b)), (a * b).sum(-1), 1e-12)
    close(mx.vecdot(arr(a), arr(b), axis=0), (a * b).sum(0), 1e-12)
    close(mx.vecdot(arr(a), arr(b[:1])), (a * b[:1]).sum(-1), 1e-12)
    z = mx.array([1j, 2])
    assert mx.vecdot(z, mx.array([1j, 1])).item() == 3 + 0j
    assert mx.vecdot(mx.ones((2, 3), dtype=mx.int32), mx.ones((2, 3), dtype=mx.int32)).dtype == mx.int32
    with pytest.raises(ValueError, match=r"\[vecdot\] inputs must be at least 1D."):
        mx.vecdot(mx.array(1.0), mx.array(1.0))
    with pytest.raises(IndexError, match=r"\[vecdot\] axis is out of bounds."):
        mx.vecdot(mx.ones((2, 3)), mx.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match=r"\[vecdot\] a and b must have the same size along axis."):
        mx.vecdot(mx.ones((2, 3)), mx.ones((3, 4)))
    with pytest.raises(TypeError):
        mx.vecdot(mx.ones((2, 3)), mx.ones((2, 3)), 0)  # axis is keyword-only


# ---------------------------------------------------------------- diag, diagonal, trace

def test_diag():
    v = np.arange(3, dtype=np.int32)
    for k in [0, 1, -2, 5]:
        close(mx.diag(arr(v), k), np.diag(v, k))
        assert mx.diag(arr(v), k=k).dtype == mx.int32
    m = np.arange(12, dtype=np.float32).reshape(3, 4)
    for k in [0, 1, -2, 3, 4, 10, -3, -10]:
        close(mx.diag(arr(m), k), np.diag(m, k))
        close(arr(m).diag(k), np.diag(m, k))
    assert mx.diag(mx.ones((0,))).shape == (0, 0)
    b = mx.diag(mx.array([True, False]))
    assert b.dtype == mx.bool_ and b.tolist() == [[True, False], [False, False]]
    for bad in [mx.array(1), mx.ones((2, 2, 2))]:
        with pytest.raises(ValueError) as e:
            mx.diag(bad)
        assert str(e.value) == f"[diag] array must be 1-D or 2-D, got array with {bad.ndim} dimensions."


@pytest.mark.parametrize("shape,off,a1,a2", [
    ((3, 4), 0, 0, 1), ((3, 4), 1, 0, 1), ((3, 4), -1, 0, 1), ((3, 4), 1, 1, 0), ((3, 4), 5, 0, 1),
    ((3, 4), -5, 0, 1), ((2, 3, 4), 0, 0, 2), ((2, 3, 4), 1, -1, -2), ((2, 3, 4, 5), -1, 3, 1),
    ((0, 3), 0, 0, 1), ((3, 0, 2), 0, 0, 2),
])
def test_diagonal(shape, off, a1, a2):
    x = rand(*shape)
    want = np.diagonal(x, off, a1, a2)
    close(mx.diagonal(arr(x), off, a1, a2), want, 0)
    close(arr(x).diagonal(offset=off, axis1=a1, axis2=a2), want, 0)
    close(mx.diagonal(arr(x).transpose(), off, a1, a2), np.diagonal(x.T, off, a1, a2), 0)
    for dt in [mx.int8, mx.float16, mx.bool_, mx.complex64]:
        assert mx.diagonal(arr(x).astype(dt), off, a1, a2).dtype == dt


def test_diagonal_of_views_and_errors():
    x = np.arange(60.0).reshape(3, 4, 5)
    v = arr(x)[1:, ::-1, ::2]
    close(mx.diagonal(v, 1, 1, 2), np.diagonal(x[1:, ::-1, ::2], 1, 1, 2), 0)
    close(mx.diagonal(mx.broadcast_to(mx.arange(3), (3, 3)), 0), np.arange(3))
    m = mx.ones((3, 4))
    with pytest.raises(ValueError, match="axis1 and axis2 cannot be the same axis"):
        mx.diagonal(m, 0, 0, 0)
    with pytest.raises(IndexError) as e:
        mx.diagonal(m, 0, 0, 2)
    assert str(e.value) == "[diagonal] Invalid axis2 2 for array with 2 dimensions."
    with pytest.raises(IndexError, match=r"Invalid axis1 -3"):
        mx.diagonal(m, 0, -3, 1)
    with pytest.raises(ValueError) as e:
        mx.diagonal(mx.ones((3,)))
    assert str(e.value) == "[diagonal] Array must have at least two dimensions, but got 1 dimensions."
    mx.diagonal(m, 0, 0, 1, mx.cpu)  # MLX takes the stream positionally


def test_trace():
    m = np.arange(12, dtype=np.int32).reshape(3, 4)
    for off in [0, 1, -1, 10, -10]:
        close(mx.trace(arr(m), off), np.trace(m, off))
    x = rand(2, 3, 4)
    close(mx.trace(arr(x), 0, 1, 2), np.trace(x, 0, 1, 2), 1e-12)
    close(mx.trace(arr(x), -1, 2, 0), np.trace(x, -1, 2, 0), 1e-12)
    assert mx.trace(arr(m)).dtype == mx.int32
    assert mx.trace(arr(m).astype(mx.int8)).dtype == mx.int32
    assert mx.trace(arr(m).astype(mx.uint8)).dtype == mx.uint32
    assert mx.trace(arr(m).astype(mx.bool_)).item() == 2
    assert mx.trace(arr(m), dtype=mx.float16).dtype == mx.float16
    assert mx.trace(arr(m).astype(mx.float16), dtype=mx.int32).dtype == mx.int32
    assert mx.trace(mx.ones((0, 3))).item() == 0
    with pytest.raises(ValueError, match=r"\[trace\] axis1 and axis2 cannot be the same axis"):
        mx.trace(arr(x), 0, 1, 1)
    with pytest.raises(ValueError, match=r"\[trace\] Array must have at least two dimensions"):
        mx.trace(mx.ones((3,)))
    with pytest.raises(IndexError, match=r"\[trace\] Invalid axis2 5 for array with 2 dimensions."):
        mx.trace(arr(m), 0, 0, 5)
    with pytest.raises(TypeError):
        mx.trace(arr(m), dtype="float32")


# ---------------------------------------------------------------- hadamard_transform

def sylvester(n):
    i = np.arange(n)
    return np.where(np.bitwise_count(i[:, None] & i[None, :]) % 2 == 1, -1.0, 1.0) \
        if hasattr(np, "bitwise_count") else \
        np.array([[(-1.0) ** bin(r & c).count("1") for c in range(n)] for r in range(n)])


# mlx.core.hadamard_transform(arange(n), scale=1.0), recorded from mlx 0.32
MLX_HADAMARD = {
    12: [64, -6, 0, -6, -20, -10, 0, -14, 20, -18, 0, -22],
    20: [-10, -4, 2, 8, 14, -10, -20, -10, 0, -10, 20, 30, 20, 10, 20, -100, -98, -96, -94, -92],
    28: [-84, -78, -72, -66, -60, -54, -48, -56, -46, -64, -54, -44, -62, -52, -70, -60, -50, -68,
         -86, -76, -66, -126, -144, -134, -124, -114, -104, -122],
    40: [-44, 4, -20, 4, 4, 4, 28, 4, 52, 4, -40, 0, -80, 0, -40, 0, 0, 0, -40, 0, 80, 0, 120, 0,
         80, 0, 40, 0, 80, 0, -408, 8, -400, 8, -392, 8, -384, 8, -376, 8],
    56: [-344, 8, -320, 8, -296, 8, -272, 8, -248, 8, -224, 8, -200, 8, -228, 4, -188, 4, -260, 4,
         -220, 4, -180, 4, -252, 4, -212, 4, -284, 4, -244, 4, -204, 4, -276, 4, -348, 4, -308, 4,
         -268, 4, -508, 4, -580, 4, -540, 4, -500, 4, -460, 4, -420, 4, -492, 4],
    96: [4376, -40, -80, 0, -160, 0, 0, 0, -440, 8, 16, 0, 32, 0, 0, 0, 56, -8, -16, 0, -32, 0, 0,
         0, -440, 8, 16, 0, 32, 0, 0, 0, -1224, -8, -16, 0, -32, 0, 0, 0, -696, 8, 16, 0, 32, 0, 0,
         0, 56, -8, -16, 0, -32, 0, 0, 0, -952, 8, 16, 0, 32, 0, 0, 0, 1336, -8, -16, 0, -32, 0, 0,
         0, -1208, 8, 16, 0, 32, 0, 0, 0, 56, -8, -16, 0, -32, 0, 0, 0, -1464, 8, 16, 0, 32, 0, 0, 0],
}


@pytest.mark.parametrize("n", [1, 2, 4, 8, 64, 128, 1024, 4096])
def test_hadamard_powers_of_two(n):
    x = rand(3, n)
    want = x @ sylvester(n) / np.sqrt(n)
    close(mx.hadamard_transform(arr(x)), want, 1e-10)
    close(mx.hadamard_transform(arr(x), scale=0.25), x @ sylvester(n) * 0.25, 1e-10)
    r = mx.hadamard_transform(arr(x.astype(np.float32)))
    assert r.dtype == mx.float32
    close(r, want, 1e-4)


@pytest.mark.parametrize("n", sorted(MLX_HADAMARD))
def test_hadamard_mlx_orders(n):
    r = mx.hadamard_transform(mx.arange(n).astype(mx.float32), 1.0)
    assert r.tolist() == [float(v) for v in MLX_HADAMARD[n]]
    # a Hadamard matrix: H @ H.T = n I
    h = np.array(mx.hadamard_transform(mx.eye(n, dtype=mx.float64), scale=1.0))
    np.testing.assert_array_equal(h @ h.T, n * np.eye(n))
    x = rand(2, 5, n)
    close(mx.hadamard_transform(arr(x)), x @ h / np.sqrt(n), 1e-10)


def test_hadamard_dtypes_and_errors():
    assert mx.hadamard_transform(mx.array(1.0)).item() == 1.0
    assert mx.hadamard_transform(mx.ones((4,)), scale=2).tolist() == [8, 0, 0, 0]
    for dt, want in [(mx.int32, mx.float32), (mx.bool_, mx.float32), (mx.float16, mx.float16),
                     (mx.bfloat16, mx.bfloat16), (mx.float64, mx.float64), (mx.complex64, mx.float32)]:
        r = mx.hadamard_transform(mx.ones((2, 8), dtype=dt))
        assert r.dtype == want
        close(r.astype(mx.float32), np.tile([2 * np.sqrt(2)] + [0] * 7, (2, 1)), 1e-2)
    for n in [3, 6, 24 * 3, 36]:
        with pytest.raises(ValueError) as e:
            mx.hadamard_transform(mx.ones((n,)))
        assert str(e.value) == "[hadamard] Only supports n = m*2^k where m in (1, 12, 20, 28)."
    with pytest.raises(ValueError, match=r"\[hadamard_transform\] Does not support empty arrays."):
        mx.hadamard_transform(mx.ones((0, 4)))
    assert mx.hadamard_transform(mx.ones((1, 12 * 2 ** 12))).shape == (1, 12 * 2 ** 12)


# ---------------------------------------------------------------- gradients

def fd_check(f, xs, h=1e-6, tol=1e-6):
    """vjp and jvp of f at xs (float64 NumPy arrays) against central
    differences: <c, J t> computed three ways."""
    rng = np.random.default_rng(3)
    prim = [arr(x) for x in xs]
    out = f(*prim)
    c = rng.standard_normal(out.shape)
    ts = [rng.standard_normal(x.shape) for x in xs]
    _, vjps = mx.vjp(lambda *a: f(*a), prim, [arr(c)])
    _, jvps = mx.jvp(lambda *a: f(*a), prim, [arr(t) for t in ts])
    plus = np.array(f(*[arr(x + h * t) for x, t in zip(xs, ts)]))
    minus = np.array(f(*[arr(x - h * t) for x, t in zip(xs, ts)]))
    num = (plus - minus) / (2 * h)
    np.testing.assert_allclose(np.array(jvps[0]), num, rtol=tol, atol=tol)
    lhs = sum(float(np.sum(np.array(g) * t)) for g, t in zip(vjps, ts))
    assert np.isclose(lhs, float(np.sum(c * num)), rtol=tol, atol=tol)
    for g, x in zip(vjps, xs):
        assert g.shape == x.shape


@pytest.mark.parametrize("subs,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij->ji", [(3, 3, 2)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("...ij,...jk", [(2, 3, 4), (4, 5)]), ("ij,ij->i", [(3, 4), (3, 4)]), ("ij,ij->ij", [(3, 4), (1, 4)]),
    ("i,j", [(3,), (4,)]), ("abc,bcd,def,fa->", [(2, 3, 4), (3, 4, 5), (5, 6, 7), (7, 2)]),
])
def test_einsum_grad(subs, shapes):
    fd_check(lambda *a: mx.einsum(subs, *a), [rand(*s) for s in shapes])


@pytest.mark.parametrize("name,f,shapes", [
    ("tensordot", lambda a, b: mx.tensordot(a, b, axes=[[0, 2], [1, 0]]), [(3, 2, 4), (4, 3, 5)]),
    ("inner", mx.inner, [(2, 3), (4, 3)]),
    ("outer", mx.outer, [(2, 3), (4,)]),
    ("kron", mx.kron, [(2, 3), (3, 2)]),
    ("addmm", lambda c, a, b: mx.addmm(c, a, b, 0.5, 2.0), [(4,), (2, 3), (3, 4)]),
    ("vecdot", lambda a, b: mx.vecdot(a, b, axis=0), [(3, 2), (3, 1)]),
    ("diag1", lambda a: mx.diag(a, -1), [(3,)]),
    ("diag2", lambda a: mx.diag(a, 1), [(3, 4)]),
    ("diagonal", lambda a: mx.diagonal(a, 1, 2, 0), [(3, 2, 4)]),
    ("diagonal_neg", lambda a: mx.diagonal(a, -1, 1, 2), [(2, 4, 3)]),
    ("trace", lambda a: mx.trace(a, 1, 0, 1), [(3, 4, 2)]),
    ("hadamard", mx.hadamard_transform, [(2, 16)]),
    ("hadamard20", lambda a: mx.hadamard_transform(a, 0.5), [(2, 40)]),
    ("hadamard28", mx.hadamard_transform, [(28,)]),
])
def test_grads(name, f, shapes):
    fd_check(f, [rand(*s) for s in shapes])


def test_second_order_and_composition():
    x = rand(3, 3)
    g = mx.grad(lambda a: mx.sum(mx.square(mx.trace(mx.einsum("ij,jk->ik", a, a)))))(arr(x))
    t = np.trace(x @ x)
    close(g, 2 * t * 2 * x.T, 1e-9)
    gg = mx.grad(lambda a: mx.sum(mx.grad(lambda b: mx.sum(mx.diagonal(b) ** 3))(a)))(arr(x))
    close(gg, np.diag(6 * np.diag(x)), 1e-9)


# ---------------------------------------------------------------- vmap

@pytest.mark.parametrize("name,f,shapes,axes", [
    ("einsum", lambda a, b: mx.einsum("ij,jk->ki", a, b), [(3, 2, 4), (4, 5)], (1, None)),
    ("einsum_diag", lambda a: mx.einsum("iij->ji", a), [(2, 3, 3, 4)], (0,)),
    ("einsum_both", lambda a, b: mx.einsum("i,ij->j", a, b), [(3, 6), (6, 3, 2)], (1, 0)),
    ("tensordot", lambda a, b: mx.tensordot(a, b, 1), [(2, 3, 4), (4, 5)], (1, None)),
    ("kron", mx.kron, [(3, 2, 2), (3, 2)], (0, 0)),
    ("diagonal", lambda a: mx.diagonal(a, 1, 1, 0), [(3, 4, 5)], (2,)),
    ("diag", lambda a: mx.diag(a, -1), [(4, 3)], (1,)),
    ("trace", lambda a: mx.trace(a, 0, 0, 1), [(3, 4, 2)], (2,)),
    ("hadamard", mx.hadamard_transform, [(8, 3)], (1,)),
    ("addmm", lambda c, a, b: mx.addmm(c, a, b), [(2, 4), (3, 2, 3), (3, 4)], (None, 0, None)),
    ("vecdot", mx.vecdot, [(2, 3, 4), (3, 4)], (0, None)),
])
def test_vmap(name, f, shapes, axes):
    xs = [rand(*s) for s in shapes]
    got = mx.vmap(f, in_axes=axes)(*[arr(x) for x in xs])
    n = next(x.shape[a] for x, a in zip(xs, axes) if a is not None)
    want = np.stack([np.array(f(*[arr(x if a is None else np.take(x, i, axis=a))
                                  for x, a in zip(xs, axes)])) for i in range(n)])
    close(got, want, 1e-10)


# ---------------------------------------------------------------- gather_mm, segmented_mm, block_masked_mm

def test_gather_mm():
    a, b = rand(4, 2, 3), rand(5, 3, 6)
    li, ri = np.array([0, 3, 3]), np.array([1, 4, 0])
    r = mx.gather_mm(arr(a), arr(b), mx.array(li), mx.array(ri))
    close(r, a[li] @ b[ri], 1e-12)
    r = mx.gather_mm(arr(a), arr(b), mx.array(li[:, None]), mx.array(ri), sorted_indices=True)
    close(r, a[li[:, None]] @ b[ri], 1e-12)
    a2 = rand(2, 4, 2, 3)  # indices over the flattened batch (2*4)
    close(mx.gather_mm(arr(a2), arr(b), mx.array([0, 7]), mx.array([1, 4])),
          a2.reshape(8, 2, 3)[[0, 7]] @ b[[1, 4]], 1e-12)
    close(mx.gather_mm(arr(a[0]), arr(b), None, mx.array([1, 4])), a[0] @ b[[1, 4]], 1e-12)
    close(mx.gather_mm(arr(a[0, 0]), arr(b), None, mx.array([1, 4])), a[0, 0] @ b[[1, 4]], 1e-12)
    close(mx.gather_mm(arr(a), arr(rand(4, 3, 6)) * 0 + 1), a @ np.ones((4, 3, 6)), 1e-12)
    assert mx.gather_mm(mx.ones((2, 3), dtype=mx.float16), mx.ones((3, 2))).dtype == mx.float32
    with pytest.raises(ValueError, match=r"\[broadcast_shapes\] Shapes \(4\) and \(2\) cannot be broadcast."):
        mx.gather_mm(mx.ones((4, 2, 3)), mx.ones((5, 3, 6)), None, mx.array([1, 4]))
    with pytest.raises(ValueError, match=r"\[gather_mm\] Got indices with invalid dtype. Indices must be integral."):
        mx.gather_mm(mx.ones((4, 2, 3)), mx.ones((5, 3, 6)), mx.array([0.0, 3]), mx.array([1, 4]))
    with pytest.raises(ValueError) as e:
        mx.gather_mm(mx.ones((4, 2, 3)), mx.ones((5, 4, 6)), mx.array([0, 3]), mx.array([1, 4]))
    assert str(e.value) == ("[gather_mm] Last dimension of first input with shape (4,2,3) must match "
                            "second to last dimension of second input with shape (5,4,6).")
    with pytest.raises(IndexError):  # checked when evaluated (MLX reads out of bounds)
        mx.eval(mx.gather_mm(mx.ones((4, 2, 3)), mx.ones((5, 3, 6)), mx.array([9, 3]), mx.array([1, 4])))


def test_segmented_mm():
    a, b = rand(2, 6), rand(6, 3)
    seg = np.array([[1, 4], [3, 5], [4, 2], [0, 6], [-3, 9]])
    want = np.stack([a[:, max(s, 0):max(e, 0)] @ b[max(s, 0):max(e, 0)] if e > s else np.zeros((2, 3))
                     for s, e in seg])
    close(mx.segmented_mm(arr(a), arr(b), mx.array(seg)), want, 1e-12)
    close(mx.segmented_mm(arr(a), arr(b), mx.array(seg[None, :2])), want[None, :2], 1e-12)
    for sa, sb in [((4, 2, 6), (6, 3)), ((6,), (6, 3))]:
        with pytest.raises(ValueError, match=r"\[segmented_mm\] Batched matmul not supported"):
            mx.segmented_mm(mx.ones(sa), mx.ones(sb), mx.array([[0, 2], [2, 6]]))
    with pytest.raises(ValueError) as e:
        mx.segmented_mm(mx.ones((2, 6)), mx.ones((6, 3)), mx.array([[0, 2, 3], [2, 6, 3]]))
    assert str(e.value) == "[segmented_mm] The segments should have shape (..., 2) but (2,3) was provided."
    with pytest.raises(ValueError, match="Segments must be integral."):
        mx.segmented_mm(mx.ones((2, 6)), mx.ones((6, 3)), mx.array([[0.0, 2], [2, 6]]))
    with pytest.raises(ValueError, match=r"\[segmented_mm\] Last dimension of first input"):
        mx.segmented_mm(mx.ones((2, 6)), mx.ones((5, 3)), mx.array([[0, 2], [2, 6]]))


def expand_blocks(m, bs, r, c):
    m = np.asarray(m).astype(np.float64)
    return np.repeat(np.repeat(m, bs, -2), bs, -1)[..., :r, :c]


def test_block_masked_mm():
    rng = np.random.default_rng(5)
    a, b = rand(70, 40), rand(40, 100)
    ml, mr, mo = rng.random((2, 1)) > 0.5, rng.random((1, 2)) > 0.3, rng.random((2, 2)) > 0.3
    want = ((a * expand_blocks(ml, 64, 70, 40)) @ (b * expand_blocks(mr, 64, 40, 100))) * expand_blocks(mo, 64, 70, 100)
    close(mx.block_masked_mm(arr(a), arr(b), 64, mx.array(mo), mx.array(ml), mx.array(mr)), want, 1e-12)
    fl, fo = rng.random((3, 2)), rng.random((3, 4))
    want = ((a * expand_blocks(fl, 32, 70, 40)) @ b) * expand_blocks(fo, 32, 70, 100)
    close(mx.block_masked_mm(arr(a), arr(b), block_size=32, mask_out=arr(fo), mask_lhs=arr(fl)), want, 1e-12)
    close(mx.block_masked_mm(arr(a), arr(b), 16), a @ b, 1e-12)
    ba = rand(3, 70, 40)
    close(mx.block_masked_mm(arr(ba), arr(b), 64, None, mx.array(ml)), (ba * expand_blocks(ml, 64, 70, 40)) @ b, 1e-12)
    assert mx.block_masked_mm(mx.ones((40,)), mx.ones((40, 100))).shape == (100,)
    assert mx.block_masked_mm(mx.ones((70, 40), dtype=mx.float16), mx.ones((40, 100))).dtype == mx.float32
    with pytest.raises(ValueError):
        mx.block_masked_mm(mx.ones((70, 40)), mx.ones((40, 100)), 64, mx.ones((3, 2), dtype=mx.bool_))
    with pytest.raises(ValueError):
        mx.block_masked_mm(mx.ones((70, 40)), mx.ones((40, 100)), 64, mx.ones((5, 2, 2), dtype=mx.bool_))
    with pytest.raises(ValueError):
        mx.block_masked_mm(mx.ones((70, 40)), mx.ones((40, 100)), 64, None, mx.ones((5, 2, 1), dtype=mx.bool_))
    with pytest.raises(ValueError, match=r"Last dimension of first input with shape \(70,40\)"):
        mx.block_masked_mm(mx.ones((70, 40)), mx.ones((30, 4)))
    with pytest.raises(ValueError, match="block_size"):
        mx.block_masked_mm(mx.ones((70, 40)), mx.ones((40, 100)), 0)


@pytest.mark.parametrize("name,f,shapes", [
    ("gather_mm", lambda a, b: mx.gather_mm(a, b, mx.array([0, 2, 2]), mx.array([1, 0, 1])), [(3, 2, 3), (2, 3, 4)]),
    ("segmented_mm", lambda a, b: mx.segmented_mm(a, b, mx.array([[0, 2], [1, 4], [3, 3]])), [(2, 4), (4, 3)]),
    ("block_masked_mm", lambda a, b: mx.block_masked_mm(a, b, 2, mx.array([[True, False], [True, True]]),
                                                        mx.array([[1.0, 0.5], [0.0, 2.0]])), [(3, 4), (4, 3)]),
])
def test_masked_mm_grads(name, f, shapes):
    fd_check(f, [rand(*s) for s in shapes])


def test_masked_mm_vmap():
    a, b = rand(5, 3, 2, 3), rand(2, 3, 4)
    # the gathered operand unmapped (GATHER has no vmap rule yet: the index
    # family's; a mapped gathered operand raises that rule's error)
    f = lambda x: mx.gather_mm(x[0], arr(b), None, mx.array([1, 0, 1]))
    got = mx.vmap(f)(arr(a))
    close(got, np.stack([np.array(f(arr(x))) for x in a]), 1e-12)
    s = mx.array([[0, 2], [1, 3]])
    g = lambda x: mx.segmented_mm(x, arr(b[0]), s)
    got = mx.vmap(g)(arr(a[:, 0]))
    close(got, np.stack([np.array(g(arr(x))) for x in a[:, 0]]), 1e-12)


# ---------------------------------------------------------------- einsum_path on random contractions

def mlx_paths():
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "einsum_paths_mlx.json")
    with open(here) as f:
        return json.load(f)


def test_einsum_path_random_against_mlx():
    cases = mlx_paths()
    assert len(cases) >= 60 and any(len(t) > 2 for c in cases for t in c["path"])
    rng = np.random.default_rng(11)
    for c in cases:
        ops = [mx.zeros(s) for s in c["shapes"]]
        path, report = mx.einsum_path(c["subscripts"], *ops)
        assert [list(t) for t in path] == c["path"], c["subscripts"]
        assert report == c["report"], c["subscripts"]
        # and the values along that path, all-at-once steps included
        xs = [rng.standard_normal(s) for s in c["shapes"]]
        got = mx.einsum(c["subscripts"], *[arr(x) for x in xs])
        np.testing.assert_allclose(np.array(got), np.einsum(c["subscripts"], *xs), rtol=1e-9,
                                   atol=1e-9, err_msg=c["subscripts"])
