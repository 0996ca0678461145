"""The public surface: MLX's names, parameter names/kinds and defaults, the
type stubs listing every public name, errors mapped to exceptions."""
import ast
import inspect
import os

import pytest

import ember
import ember.core as mx

STUB = os.path.join(os.path.dirname(os.path.abspath(mx.__file__)), "core.pyi")


def read_stub():
    with open(STUB) as f:
        return ast.parse(f.read())


def stub_names():
    tree = read_stub()
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets)
    return names


def test_stub_ships_and_lists_every_public_name():
    assert os.path.exists(STUB)
    assert os.path.exists(os.path.join(os.path.dirname(STUB), "py.typed"))
    public = {n for n in dir(mx) if not n.startswith("_")} | {"__version__"}
    missing = public - stub_names()
    assert not missing, sorted(missing)


def test_stub_methods_of_array():
    tree = read_stub()
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "array")
    methods = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    public = {n for n in dir(mx.array) if not n.startswith("_")}
    assert public <= methods, sorted(public - methods)


# name: (parameter names in order, positional-only count, keyword-only names)
SIGNATURES = {
    "sum": (["a", "axis", "keepdims", "stream"], 1, ["stream"]),
    "var": (["a", "axis", "keepdims", "ddof", "stream"], 1, ["stream"]),
    "argmax": (["a", "axis", "keepdims", "stream"], 1, ["stream"]),
    "add": (["a", "b", "stream"], 0, ["stream"]),
    "power": (["a", "b", "stream"], 2, ["stream"]),
    "exp": (["a", "stream"], 1, ["stream"]),
    "round": (["a", "decimals", "stream"], 1, ["stream"]),
    "clip": (["a", "a_min", "a_max", "stream"], 1, ["stream"]),
    "where": (["condition", "x", "y", "stream"], 3, ["stream"]),
    "nan_to_num": (["a", "nan", "posinf", "neginf", "stream"], 0, ["stream"]),
    "reshape": (["a", "shape", "stream"], 1, ["stream"]),
    "flatten": (["a", "start_axis", "end_axis", "stream"], 1, ["stream"]),
    "transpose": (["a", "axes", "stream"], 1, ["stream"]),
    "squeeze": (["a", "axis", "stream"], 1, ["stream"]),
    "expand_dims": (["a", "axis", "stream"], 1, ["stream"]),
    "moveaxis": (["a", "source", "destination", "stream"], 1, ["stream"]),
    "swapaxes": (["a", "axis1", "axis2", "stream"], 1, ["stream"]),
    "concatenate": (["arrays", "axis", "stream"], 0, ["stream"]),
    "stack": (["arrays", "axis", "stream"], 0, ["stream"]),
    "split": (["a", "indices_or_sections", "axis", "stream"], 1, ["stream"]),
    "pad": (["a", "pad_width", "mode", "constant_values", "stream"], 0, ["stream"]),
    "tile": (["a", "reps", "stream"], 2, ["stream"]),
    "repeat": (["array", "repeats", "axis", "stream"], 0, ["stream"]),
    "zeros": (["shape", "dtype", "stream"], 0, ["stream"]),
    "full": (["shape", "vals", "dtype", "stream"], 0, ["stream"]),
    "zeros_like": (["a", "dtype", "stream"], 1, ["stream"]),
    "eye": (["n", "m", "k", "dtype", "stream"], 0, ["stream"]),
    "linspace": (["start", "stop", "num", "endpoint", "dtype", "stream"], 0, []),
    "tril": (["x", "k", "stream"], 0, ["stream"]),
    "matmul": (["a", "b", "stream"], 2, ["stream"]),
    "astype": (["a", "dtype", "stream"], 2, ["stream"]),
    "asarray": (["a", "dtype", "copy"], 0, ["copy"]),
    "from_dlpack": (["x", "copy"], 1, ["copy"]),
    "unstack": (["x", "axis", "stream"], 1, ["axis", "stream"]),
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signatures(name):
    names, npos, kwonly = SIGNATURES[name]
    sig = inspect.signature(getattr(mx, name))
    params = list(sig.parameters.values())
    assert [p.name for p in params] == names
    assert sum(p.kind is p.POSITIONAL_ONLY for p in params) == npos
    assert [p.name for p in params if p.kind is p.KEYWORD_ONLY] == kwonly


def test_defaults():
    sig = inspect.signature(mx.sum)
    assert sig.parameters["axis"].default is None and sig.parameters["keepdims"].default is False
    assert inspect.signature(mx.linspace).parameters["num"].default == 50
    assert inspect.signature(mx.flatten).parameters["end_axis"].default == -1
    assert inspect.signature(mx.pad).parameters["mode"].default == "constant"


def test_method_mirrors():
    a = mx.array([[1.0, 2.0], [3.0, 4.0]])
    for name in ["sum", "prod", "max", "min", "mean", "var", "std", "all", "any", "logsumexp",
                 "argmax", "argmin", "abs", "square", "sqrt", "rsqrt", "reciprocal", "exp",
                 "log", "log2", "log10", "log1p", "sin", "cos", "round", "conj", "flatten",
                 "squeeze", "moveaxis", "swapaxes", "split", "reshape", "transpose", "astype",
                 "item", "tolist"]:
        assert callable(getattr(a, name)), name
    assert inspect.signature(mx.array.sum).parameters["axis"].default is None


def test_mlx_names_present():
    for name in ["array", "Dtype", "DtypeCategory", "finfo", "iinfo", "issubdtype", "isdtype",
                 "result_type", "can_cast", "bool_", "uint8", "uint16", "uint32", "uint64",
                 "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
                 "complex64", "generic", "number", "integer", "signedinteger", "unsignedinteger",
                 "inexact", "floating", "complexfloating", "pi", "e", "inf", "nan", "newaxis",
                 "euler_gamma", "eval", "set_printoptions", "get_printoptions", "printoptions",
                 "PrintOptions", "Device", "DeviceType", "Stream", "StreamContext", "cpu", "gpu",
                 "default_device", "default_stream", "stream", "ArrayAt", "ArrayIterator"]:
        assert hasattr(mx, name), name
    assert ember.__version__ == mx.__version__


def test_errors_map_to_exceptions():
    with pytest.raises(ValueError):      # EM_ERR_VALUE: a bad shape
        mx.add(mx.array([1, 2]), mx.array([1, 2, 3]))
    with pytest.raises(ValueError):      # a bad dtype for the op (MLX: ValueError)
        mx.bitwise_and(mx.array([1.0]), mx.array([1.0]))
    with pytest.raises(TypeError):       # a bad argument type
        mx.zeros((2,), dtype="float32")
    with pytest.raises(IndexError):      # an index out of range
        mx.array([1, 2])[5]
    with pytest.raises(ValueError):      # item() of a non-scalar
        mx.array([1, 2]).item()
    # Errors do not stick: the next call works.
    assert mx.array([1, 2]).tolist() == [1, 2]


def test_bad_input_never_crashes():
    junk = [None, "x", b"x", object(), [object()], {"a": 1}, 1e400, -2**70, [[1], [2, 3]],
            float("nan"), (), [[]], mx.float32, mx.cpu]
    fns = [mx.array, mx.exp, lambda v: mx.add(v, v), lambda v: mx.sum(mx.array([1.0]), axis=v),
           lambda v: mx.reshape(mx.array([1.0]), v), lambda v: mx.array([1.0])[v],
           lambda v: mx.zeros(v), lambda v: mx.array([1]) + v, lambda v: mx.astype(mx.array([1]), v)]
    for f in fns:
        for v in junk:
            try:
                f(v)
            except (ValueError, TypeError, IndexError, OverflowError, RuntimeError,
                    NotImplementedError, MemoryError):
                pass
