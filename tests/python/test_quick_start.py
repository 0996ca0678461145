"""The seed document's quick start, run verbatim as an interactive session
(with `import ember.core as mx` for `import mlx.core as mx`), printing what
MLX 0.32 prints (whose dtype reprs name mlx.core where ours name ember.core)."""
import contextlib
import io

# The ">>" lines of the quick start, in order (only the import is changed).
SESSION = [
    "import ember.core as mx",
    "a = mx.array([1, 2, 3, 4])",
    "a.shape",
    "a.dtype",
    "b = mx.array([1.0, 2.0, 3.0, 4.0])",
    "b.dtype",
    "c = a + b    # c not yet evaluated",
    "mx.eval(c)  # evaluates c",
    "c = a + b",
    "print(c)     # Also evaluates c",
    "c = a + b",
    "import numpy as np",
    "np.array(c)   # Also evaluates c",
    "x = mx.array(0.0)",
    "mx.sin(x)",
    "mx.grad(mx.sin)(x)",
    "mx.grad(mx.grad(mx.sin))(x)",
]

EXPECTED = [
    "(4,)",
    "ember.core.int32",
    "ember.core.float32",
    "array([2, 4, 6, 8], dtype=float32)",
    "array([2., 4., 6., 8.], dtype=float32)",
    "array(0, dtype=float32)",
    "array(1, dtype=float32)",
    "array(-0, dtype=float32)",
]


def run_session(lines):
    """Runs lines as the interactive interpreter does: an expression's value,
    when not None, is printed with repr."""
    env, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for line in lines:
            try:
                code = compile(line, "<quick start>", "eval")
            except SyntaxError:
                exec(compile(line, "<quick start>", "exec"), env)
                continue
            value = eval(code, env)
            if value is not None:
                print(repr(value))
    return out.getvalue().splitlines(), env


def test_quick_start_verbatim():
    printed, _ = run_session(SESSION)
    assert printed == EXPECTED


def test_quick_start_values():
    _, env = run_session(SESSION)
    mx, np = env["mx"], env["np"]
    a, b, c = env["a"], env["b"], env["c"]
    assert a.shape == (4,) and list(a.shape) == [4]
    assert a.dtype == mx.int32 and b.dtype == mx.float32 and c.dtype == mx.float32
    assert c.tolist() == [2.0, 4.0, 6.0, 8.0]
    np.testing.assert_array_equal(np.array(c), np.array([2, 4, 6, 8], dtype=np.float32))


def test_lazy_until_needed():
    import ember.core as mx
    a = mx.array([1, 2, 3, 4])
    b = mx.array([1.0, 2.0, 3.0, 4.0])
    c = a + b  # records a graph; values come with item(), eval(), print, NumPy
    assert c.shape == (4,)
    assert (a + b).tolist() == [2.0, 4.0, 6.0, 8.0]
    mx.eval(c)
    assert float(mx.array(2.0) + mx.array(3.0)) == 5.0
