"""compile's fusion of elementwise chains (src/transforms/fuse.c, the FUSED
kernel in src/backend/cpu/fused.c): compiled results are bit for bit the
uncompiled ones (the same inner loops run block by block), over dtypes,
shapes (0-d, empty, blocks with a tail, several blocks across threads),
literal and 0-d operands, views as inputs, intermediate values that are also
outputs, chains broken by non-elementwise ops; and the transforms of a fused
function (grad, jvp, vmap, grad of vmap) equal those of the plain one."""
import numpy as np
import pytest

import ember.core as mx

RNG = np.random.default_rng(7)


def arr(shape, dtype=np.float32, lo=-3.0, hi=3.0):
    if np.issubdtype(dtype, np.integer):
        return mx.array(RNG.integers(-50, 50, size=shape).astype(dtype))
    return mx.array(RNG.uniform(lo, hi, size=shape).astype(dtype))


def same_bits(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    g, w = np.array(got), np.array(want)
    if g.dtype.kind == "f":
        np.testing.assert_array_equal(g.view(f"u{g.itemsize}"), w.view(f"u{w.itemsize}"))
    else:
        np.testing.assert_array_equal(g, w)


def check(fn, *args):
    want = fn(*args)
    got = mx.compile(fn)(*args)
    want = want if isinstance(want, (tuple, list)) else [want]
    got = got if isinstance(got, (tuple, list)) else [got]
    for g, w in zip(got, want):
        same_bits(g, w)


CHAINS = {
    "arith": lambda a, b: (a * b + a) * 2 - b / 3,
    "gelu": lambda a, b: 0.5 * a * (1 + mx.tanh(0.79788456 * (a + 0.044715 * a * a * a))),
    "transcendental": lambda a, b: mx.exp(-mx.abs(a)) * mx.log1p(b * b) + mx.sin(a) * mx.cos(b),
    "compare_select": lambda a, b: mx.where(a > b, a - b, mx.maximum(a, -b) * 0.25),
    "isclose": lambda a, b: mx.isclose(a, b + 1e-7),
    "logical": lambda a, b: mx.logical_and(a > 0, mx.logical_not(b < -1)),
    "sigmoid_erf": lambda a, b: mx.sigmoid(a) * mx.erf(b) + mx.square(a - b),
}


@pytest.mark.parametrize("name", sorted(CHAINS))
@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (3, 5), (2049,), (300, 257), (1 << 17,)])
def test_chains_match_uncompiled_bitwise(name, shape):
    check(CHAINS[name], arr(shape), arr(shape))


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int64, np.int16, np.uint8])
def test_other_dtypes(dtype):
    a, b = arr((1000,), dtype), arr((1000,), dtype)
    check(lambda a, b: (a * b + a) * 2 - b, a, b)
    check(lambda a, b: mx.maximum(a, b) - mx.minimum(a, 3) * a, a, b)
    if dtype in (np.int32, np.int64, np.int16, np.uint8):
        check(lambda a, b: (a & b) | (a ^ 3), a, b)


def test_half_dtypes_stay_correct():
    # float16 / bfloat16 steps compute through float32 and are not fused
    for dt in (mx.float16, mx.bfloat16):
        a, b = arr((999,)).astype(dt), arr((999,)).astype(dt)
        check(lambda a, b: (a * b + a) * 2 - b, a, b)
        check(lambda a, b: mx.exp(a.astype(mx.float32)) * b.astype(mx.float32) + 1, a, b)


def test_astype_inside_chains():
    a, b = arr((3000,)), arr((3000,))
    check(lambda a, b: (a * b).astype(mx.float16).astype(mx.float32) + a, a, b)
    check(lambda a, b: ((a * 3).astype(mx.int32) * 2).astype(mx.float32) - b, a, b)
    check(lambda a, b: (a > b).astype(mx.float32) * a + (a < 0).astype(mx.int32).astype(mx.float32), a, b)
    check(lambda a, b: mx.exp(a.astype(mx.float64)) * b.astype(mx.float64), a, b)
    h = a.astype(mx.bfloat16)
    check(lambda h, b: mx.tanh(h.astype(mx.float32) * b) * 2, h, b)
    check(lambda a, b: (a * b + 1).astype(mx.bfloat16), a, b)
    assert graph_labels(mx.compile(lambda h, b: mx.tanh(h.astype(mx.float32) * b) * 2)(h, b)) \
        .count("Compiled") == 1


def test_intermediates_that_are_outputs_and_multiple_outputs():
    a, b = arr((5000,)), arr((5000,))

    def f(a, b):
        t = a * b
        u = t + 1
        return t, u * u, mx.exp(u) - t

    check(f, a, b)


def test_chains_broken_by_other_ops():
    a, b = arr((64, 33)), arr((64, 33))
    check(lambda a, b: mx.sum(a * b + 1, axis=1) * 2 + 1, a, b)
    check(lambda a, b: (a * b + 1).T * 3 - b.T, a, b)
    check(lambda a, b: (a + b)[::2] * 2 + 1, a, b)
    check(lambda a, b: mx.softmax(a * 2 + b, axis=-1) * 3 - 1, a, b)
    # broadcasts of more than one element: a row repeated (read in place or
    # gathered per block), a column (copied), of an input or inside the chain
    c, col = arr((33,)), arr((64, 1))
    check(lambda a, c: (a * 2 + c) * (a - 1), a, c)
    check(lambda a, col: (a * 2 + col) * (a - col), a, col)
    check(lambda a, c: mx.tanh(a + c) * c - a, a, mx.broadcast_to(c, (64, 33)))
    big, row = arr((300, 2500)), arr((2500,))
    check(lambda a, r: mx.maximum(a + r, 0.0) * r, big, row)
    check(lambda a, r: mx.maximum(a + r, 0.0) * r, arr((3, 5, 7)), arr((5, 7)))
    check(lambda a, r: mx.maximum(a + r, 0.0) * r, arr((3, 5, 7)), arr((5, 1)))
    check(lambda a, s: (a + s) * s, arr((3, 5)), mx.broadcast_to(mx.array(2.5), (3, 5)))


def test_views_and_0d_inputs():
    a = arr((40, 50))
    check(lambda x, y: x * y + x, a.T, a[:, ::-1].T)
    check(lambda x, s: x * s + s * s - x, a, mx.array(1.5))
    check(lambda x, s: (x + s) * 2, a, mx.array([[0.25]]))


def test_literals_and_captured_arrays():
    w = arr((4096,))
    check(lambda x: (x * w + 0.5) * w - 1.0, arr((4096,)))
    check(lambda x: x * mx.array(3.0) + mx.array(2.0, dtype=mx.float32), arr((4096,)))


def test_shapes_retrace_and_reuse():
    f = lambda a, b: (a * b + a) * 2 - b
    cf = mx.compile(f)
    for shape in [(10,), (10, 3), (10,), (5000,), ()]:
        a, b = arr(shape), arr(shape)
        same_bits(cf(a, b), f(a, b))


SCRIPT = """
import sys, numpy as np, ember.core as mx
rng = np.random.default_rng(11)
a = mx.array(rng.uniform(-3, 3, 1 << 18).astype(np.float32))
b = mx.array(rng.uniform(-3, 3, 1 << 18).astype(np.float32))
f = lambda a, b: mx.exp(-mx.abs(a)) * mx.log1p(b * b) + mx.sin(a) * mx.cos(b)
np.save(sys.argv[1], np.array(mx.compile(f)(a, b)))
"""


def test_threads_do_not_change_bits(tmp_path):
    # the blocks split over 1 and 2 threads (EMBER_NUM_THREADS is read at start)
    import os
    import subprocess
    import sys
    outs = []
    for t in ("1", "2"):
        path = str(tmp_path / f"t{t}.npy")
        env = dict(os.environ, EMBER_NUM_THREADS=t)
        subprocess.run([sys.executable, "-c", SCRIPT, path], env=env, check=True)
        outs.append(np.load(path))
    np.testing.assert_array_equal(outs[0].view(np.uint32), outs[1].view(np.uint32))


def test_grad_jvp_vmap_of_fused():
    f = lambda a, b: mx.sum(mx.exp(-a * a) * b + mx.tanh(a * b) * 3)
    cf = mx.compile(f)
    a, b = arr((300,)), arr((300,))
    for ga, gb in zip(mx.grad(cf, argnums=(0, 1))(a, b), mx.grad(f, argnums=(0, 1))(a, b)):
        np.testing.assert_allclose(np.array(ga), np.array(gb), rtol=1e-6, atol=1e-6)
    g = lambda a, b: mx.exp(-a * a) * b + 1
    cg = mx.compile(g)
    _, t1 = mx.jvp(cg, [a, b], [mx.ones_like(a), mx.zeros_like(b)])
    _, t2 = mx.jvp(g, [a, b], [mx.ones_like(a), mx.zeros_like(b)])
    np.testing.assert_allclose(np.array(t1[0]), np.array(t2[0]), rtol=1e-6, atol=1e-6)
    A, B = arr((6, 50)), arr((50,))
    np.testing.assert_allclose(np.array(mx.vmap(cg, in_axes=(0, None))(A, B)),
                               np.array(mx.vmap(g, in_axes=(0, None))(A, B)), rtol=1e-6)
    gv = mx.grad(lambda A: mx.sum(mx.vmap(cg, in_axes=(0, None))(A, B)))(A)
    gw = mx.grad(lambda A: mx.sum(mx.vmap(g, in_axes=(0, None))(A, B)))(A)
    np.testing.assert_allclose(np.array(gv), np.array(gw), rtol=1e-6, atol=1e-6)
    # grad of a compiled function whose fused values are also outputs
    h = mx.compile(lambda a: (a * a + 1, mx.exp(a * a + 1)))
    ga = mx.grad(lambda a: mx.sum(h(a)[1] * 2 + h(a)[0]))(a)
    want = (2 * np.exp(np.array(a) ** 2 + 1) + 1) * 2 * np.array(a)
    np.testing.assert_allclose(np.array(ga), want, rtol=1e-5)


def test_compiled_training_step_fuses_and_matches():
    # an MLP-like step: matmuls (not fused) between fused activations
    W1, W2 = arr((32, 64), lo=-0.2, hi=0.2), arr((64, 8), lo=-0.2, hi=0.2)
    x = arr((16, 32))

    def loss(W1, W2, x):
        h = x @ W1
        h = 0.5 * h * (1 + mx.tanh(0.79788456 * (h + 0.044715 * h * h * h)))
        y = h @ W2
        return mx.mean(mx.square(y - 1.0))

    vg = mx.value_and_grad(loss, argnums=(0, 1))
    cvg = mx.compile(vg)
    (l1, g1), (l2, g2) = cvg(W1, W2, x), vg(W1, W2, x)
    np.testing.assert_allclose(l1.item(), l2.item(), rtol=1e-6)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-5, atol=1e-7)


def graph_labels(y):
    import io
    s = io.StringIO()
    mx.export_to_dot(s, y)
    return [line.split('label ="')[1].split('"')[0] for line in s.getvalue().splitlines()
            if 'label ="' in line]


def test_the_graph_holds_fused_nodes():
    a, b = arr((100,)), arr((100,))
    labels = graph_labels(mx.compile(CHAINS["gelu"])(a, b))
    assert labels.count("Compiled") == 1
    assert not {"Multiply", "Add", "Tanh"} & set(labels)
    # a reduction splits the chain in two runs
    labels = graph_labels(mx.compile(lambda a, b: mx.sum(a * b + 1) * a - b)(a, b))
    assert labels.count("Compiled") == 2 and "Reduce" in labels
    # uncompiled: no fused node
    assert "Compiled" not in graph_labels(CHAINS["gelu"](a, b))
    # a single elementwise op stays itself
    assert graph_labels(mx.compile(lambda a: mx.exp(a))(a)).count("Compiled") == 0


def test_export_of_a_function_calling_a_compiled_one(tmp_path):
    inner = mx.compile(CHAINS["gelu"])
    a, b = arr((64,)), arr((64,))
    inner(a, b)  # its fused program exists before the export
    path = str(tmp_path / "f.mlxfn")
    mx.export_function(path, lambda a, b: inner(a, b) * 2, a, b)
    (got,) = mx.import_function(path)(a, b)
    same_bits(got, CHAINS["gelu"](a, b) * 2)
    assert "Compiled" in graph_labels(inner(a, b))  # still fused outside the export


def test_outputs_of_a_fused_node_that_are_dropped():
    two = mx.compile(lambda a: (a * a + 1, mx.exp(a * a + 1) * 2))
    A = arr((5, 40))
    only_second = lambda a: two(a)[1]
    np.testing.assert_allclose(np.array(mx.vmap(only_second)(A)),
                               np.exp(np.array(A) ** 2 + 1) * 2, rtol=1e-5)
    g = mx.grad(lambda a: mx.sum(two(a)[1]))(A)
    np.testing.assert_allclose(np.array(g), np.exp(np.array(A) ** 2 + 1) * 4 * np.array(A),
                               rtol=1e-5)
    first = two(A)[0]  # the other output released before evaluation
    np.testing.assert_allclose(np.array(first), np.array(A) ** 2 + 1, rtol=1e-6)


def test_inputs_whose_buffers_the_outputs_take():
    # temporaries passed in die with the call: a FUSED output may take such an
    # input's buffer, but only when no later op of the block still reads it
    def f(x, y):
        t = x * 2 + y
        return t, t * x - y, mx.exp(-x) + t

    def g(x, y):
        return (x * y + 1).astype(mx.int32), (x > y)

    a, b = arr((20000,)), arr((20000,))
    want_f, want_g = f(a, b), g(a, b)
    cf, cg = mx.compile(f), mx.compile(g)
    for _ in range(2):
        for got, want in zip(cf(a * 1.0, b + 0.0), want_f):
            same_bits(got, want)
        for got, want in zip(cg(a * 1.0, b * 1.0), want_g):
            same_bits(got, want)
    one = mx.compile(lambda x: (x * 3 - 1) * x)
    same_bits(one(a + 0.0), (a * 3 - 1) * a)
