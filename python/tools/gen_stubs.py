"""Writes python/ember/core.pyi from the built extension: every public name of
ember.core with the signature its docstring declares, annotated from the
parameter names (MLX's conventions). Run after building:

    python python/tools/gen_stubs.py
"""
import enum
import inspect
import os
import sys

import ember.core as core

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "ember", "core.pyi")

ARRAYLIKE = "_ArrayInput"
ANNOT = {
    "a": ARRAYLIKE, "b": ARRAYLIKE, "x": ARRAYLIKE, "y": ARRAYLIKE, "array": ARRAYLIKE,
    "condition": ARRAYLIKE, "val": "Any", "vals": ARRAYLIKE, "a_min": "Optional[_ArrayInput]",
    "a_max": "Optional[_ArrayInput]", "other": ARRAYLIKE, "value": ARRAYLIKE,
    "axis": "Union[None, int, Sequence[int]]", "axes": "Optional[Sequence[int]]",
    "keepdims": "bool", "ddof": "int", "d": "Union[None, Device, DeviceType]", "dtype": "Optional[Dtype]",
    "stream": "Union[None, Stream, ThreadLocalStream, Device, DeviceType]", "shape": "Union[int, Sequence[int]]",
    "start_axis": "int", "end_axis": "int", "axis1": "int", "axis2": "int", "source": "int",
    "destination": "int", "decimals": "int", "nan": "float", "posinf": "Optional[float]",
    "neginf": "Optional[float]", "arrays": "Sequence[_ArrayInput]", "arys": ARRAYLIKE,
    "indices_or_sections": "Union[int, Sequence[int]]", "pad_width": "Union[int, Sequence[int], Sequence[Sequence[int]]]",
    "mode": "str", "constant_values": ARRAYLIKE, "reps": "Union[int, Sequence[int]]",
    "repeats": "int", "n": "int", "m": "Optional[int]", "k": "int", "num": "int",
    "endpoint": "bool", "start": "Union[int, float]", "stop": "Union[int, float]",
    "step": "Union[None, int, float]", "precision": "int", "copy": "Optional[bool]",
    "device": "Union[Device, DeviceType]", "s": "Union[Stream, Device, DeviceType]",
    "limit": "int", "kind": "Union[str, Dtype, Tuple[Union[str, Dtype], ...]]",
    "from_": "Union[Dtype, array]", "to": "Dtype", "arg1": "Union[Dtype, DtypeCategory]",
    "arg2": "Union[Dtype, DtypeCategory]", "args": "Any", "arrays_and_dtypes": "Union[array, Dtype]",
    "device_type": "DeviceType", "max_version": "Optional[Tuple[int, int]]", "dl_device": "Any",
    "memo": "Any", "type": "DeviceType", "index": "int",
    "indices": ARRAYLIKE, "values": ARRAYLIKE, "update": ARRAYLIKE, "start_indices": "array",
    "slice_size": "Sequence[int]",
    "fun": "Callable[..., Any]", "f": "Callable[..., Any]",
    "argnums": "Union[None, int, Sequence[int]]", "argnames": "Union[str, Sequence[str]]",
    "primals": "Sequence[array]", "cotangents": "Sequence[array]", "tangents": "Sequence[array]",
    "inputs": "Optional[Any]", "outputs": "Optional[Any]", "shapeless": "bool",
    "in_axes": "Any", "out_axes": "Any",
    # ops_misc.c
    "shift": "Union[int, Sequence[int]]", "M": "int", "rtol": "float", "atol": "float",
    "equal_nan": "bool", "precise": "bool", "sparse": "bool", "indexing": "str",
    "strides": "Optional[Sequence[int]]", "offset": "int", "allow_col_major": "bool",
    "dependencies": "Union[array, Sequence[array]]", "shapes": "Sequence[int]",
    # convolutions
    "input": ARRAYLIKE, "weight": ARRAYLIKE, "v": ARRAYLIKE,
    "stride": "Union[int, Sequence[int]]", "dilation": "Union[int, Sequence[int]]",
    "padding": "Union[int, Sequence[int], Tuple[Sequence[int], Sequence[int]]]",
    "kernel_dilation": "Union[int, Sequence[int]]", "input_dilation": "Union[int, Sequence[int]]",
    "output_padding": "Union[int, Sequence[int]]", "groups": "int", "flip": "bool",
    "kth": "int", "reverse": "bool", "inclusive": "bool", "sorted_sequence": "array", "side": "str",
}
# Per-function annotations, where a parameter name means different things.
FUNC_ANNOT = {
    ("save", "file"): "FileLike", ("save", "arr"): "array",
    ("load", "file"): "FileLike", ("load", "format"): "Optional[str]",
    ("load", "return_metadata"): "bool",
    ("savez", "file"): "FileLike", ("savez", "args"): "array", ("savez", "kwargs"): "array",
    ("savez_compressed", "file"): "FileLike", ("savez_compressed", "args"): "array",
    ("savez_compressed", "kwargs"): "array",
    ("save_safetensors", "file"): "FileLike", ("save_safetensors", "arrays"): "Dict[str, array]",
    ("save_safetensors", "metadata"): "Optional[Dict[str, str]]",
    ("save_gguf", "file"): "FileLike", ("save_gguf", "arrays"): "Dict[str, array]",
    ("save_gguf", "metadata"): "Optional[Dict[str, Union[array, str, List[str]]]]",
    ("export_to_dot", "file"): "FileLike", ("export_to_dot", "args"): "Any",
    ("export_to_dot", "kwargs"): "array", ("depends", "inputs"): "Union[array, Sequence[array]]",
    ("as_strided", "shape"): "Optional[Sequence[int]]", ("meshgrid", "arrays"): "array",
    ("searchsorted", "values"): "array",
    ("sort", "axis"): "Optional[int]", ("argsort", "axis"): "Optional[int]",
    ("partition", "axis"): "Optional[int]", ("argpartition", "axis"): "Optional[int]",
    ("topk", "axis"): "Optional[int]",
    **{(f, "axis"): "Optional[int]" for f in ("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp",
                                            "cumulative_sum", "cumulative_prod")},
    ("einsum", "subscripts"): "str", ("einsum", "operands"): ARRAYLIKE,
    ("einsum_path", "subscripts"): "str", ("einsum_path", "operands"): ARRAYLIKE,
    ("tensordot", "axes"): "Union[int, List[Sequence[int]]]", ("addmm", "c"): ARRAYLIKE,
    ("addmm", "alpha"): "float", ("addmm", "beta"): "float", ("diagonal", "offset"): "int",
    ("trace", "offset"): "int", ("diag", "k"): "int", ("hadamard_transform", "scale"): "Optional[float]",
    ("gather_mm", "lhs_indices"): "Optional[array]", ("gather_mm", "rhs_indices"): "Optional[array]",
    ("gather_mm", "sorted_indices"): "bool", ("segmented_mm", "segments"): ARRAYLIKE,
    ("block_masked_mm", "block_size"): "int", ("block_masked_mm", "mask_out"): "Optional[array]",
    ("block_masked_mm", "mask_lhs"): "Optional[array]", ("block_masked_mm", "mask_rhs"): "Optional[array]",
    ("quantize", "w"): ARRAYLIKE, ("quantize", "group_size"): "Optional[int]",
    ("quantize", "bits"): "Optional[int]", ("quantize", "global_scale"): "Optional[array]",
    ("dequantize", "w"): ARRAYLIKE, ("dequantize", "scales"): ARRAYLIKE,
    ("dequantize", "biases"): "Optional[array]", ("dequantize", "group_size"): "Optional[int]",
    ("dequantize", "bits"): "Optional[int]", ("dequantize", "global_scale"): "Optional[array]",
    ("quantized_matmul", "w"): ARRAYLIKE, ("quantized_matmul", "scales"): ARRAYLIKE,
    ("quantized_matmul", "biases"): "Optional[array]", ("quantized_matmul", "transpose"): "bool",
    ("quantized_matmul", "group_size"): "Optional[int]", ("quantized_matmul", "bits"): "Optional[int]",
    ("gather_qmm", "w"): ARRAYLIKE, ("gather_qmm", "scales"): ARRAYLIKE,
    ("gather_qmm", "biases"): "Optional[array]", ("gather_qmm", "lhs_indices"): "Optional[array]",
    ("gather_qmm", "rhs_indices"): "Optional[array]", ("gather_qmm", "transpose"): "bool",
    ("gather_qmm", "group_size"): "Optional[int]", ("gather_qmm", "bits"): "Optional[int]",
    ("gather_qmm", "global_scale"): "Optional[array]", ("gather_qmm", "sorted_indices"): "bool",
    **{(f, a): t for f in ("qqmm", "gather_qqmm") for a, t in (
        ("w", ARRAYLIKE), ("scales", "Optional[array]"), ("lhs_indices", "Optional[array]"),
        ("rhs_indices", "Optional[array]"), ("group_size", "Optional[int]"),
        ("bits", "Optional[int]"), ("global_scale_x", "Optional[array]"),
        ("global_scale_w", "Optional[array]"), ("sorted_indices", "bool"))},
}
RETURNS = {
    "save": "None", "savez": "None", "savez_compressed": "None", "save_safetensors": "None",
    "save_gguf": "None", "quantize": "Tuple[array, ...]",
    "einsum_path": "Tuple[List[Tuple[int, ...]], str]",
    "load": "Union[array, Dict[str, array], Tuple[Dict[str, array], Dict[str, Any]]]",
    "split": "List[array]", "broadcast_arrays": "List[array]", "unstack": "Tuple[array, ...]",
    "divmod": "Tuple[array, array]", "eval": "None", "issubdtype": "bool", "isdtype": "bool",
    "result_type": "Dtype", "can_cast": "bool", "default_device": "Device",
    "set_default_device": "None", "default_stream": "Stream", "set_default_stream": "None",
    "new_stream": "Stream", "stream": "StreamContext", "synchronize": "None",
    "async_eval": "None", "new_thread_unsafe_stream": "Stream",
    "new_thread_local_stream": "ThreadLocalStream", "clear_streams": "None",
    "device_info": "Dict[str, Union[str, int]]", "get_memory_limit": "int",
    "set_wired_limit": "int",
    "is_available": "bool", "device_count": "int", "get_active_memory": "int",
    "get_peak_memory": "int", "reset_peak_memory": "None", "get_cache_memory": "int",
    "set_memory_limit": "int", "set_cache_limit": "int", "clear_cache": "None",
    "set_printoptions": "None", "get_printoptions": "PrintOptions",
    "printoptions": "_PrintOptionsContext", "atleast_1d": "Union[array, List[array]]",
    "atleast_2d": "Union[array, List[array]]", "atleast_3d": "Union[array, List[array]]",
    "item": "Union[bool, int, float, complex]", "tolist": "Any", "__len__": "int",
    "__bool__": "bool", "__int__": "int", "__float__": "float", "__complex__": "complex",
    "__index__": "int", "__repr__": "str", "__format__": "str", "__hash__": "int",
    "__array__": "Any", "__dlpack__": "Any", "__dlpack_device__": "Tuple[int, int]",
    "__iter__": "ArrayIterator", "__getstate__": "Any", "__setstate__": "None",
    "__array_namespace__": "Any", "__reduce__": "Any", "__eq__": "Any", "__ne__": "Any",
    "grad": "Callable[..., Any]", "value_and_grad": "Callable[..., Tuple[Any, Any]]",
    "vjp": "Tuple[List[array], List[array]]", "jvp": "Tuple[List[array], List[array]]",
    "checkpoint": "Callable[..., Any]", "compile": "Callable[..., Any]",
    "enable_compile": "None", "disable_compile": "None",
    "vmap": "Callable[..., Any]",
    "meshgrid": "Tuple[array, ...]", "broadcast_shapes": "Tuple[int, ...]",
    "depends": "Union[array, List[array]]", "export_to_dot": "None",
    "export_function": "None", "exporter": "FunctionExporter",
    "import_function": "Union[Callable[..., Tuple[array, ...]], Tuple[Callable[..., Tuple[array, ...]], str]]",
}
ARRAY_DUNDERS = {
    "__add__", "__radd__", "__iadd__", "__sub__", "__rsub__", "__isub__", "__mul__",
    "__rmul__", "__imul__", "__truediv__", "__rtruediv__", "__itruediv__", "__floordiv__",
    "__rfloordiv__", "__ifloordiv__", "__mod__", "__rmod__", "__imod__", "__pow__",
    "__rpow__", "__ipow__", "__matmul__", "__imatmul__", "__and__", "__rand__", "__iand__",
    "__or__", "__ror__", "__ior__", "__xor__", "__rxor__", "__ixor__", "__lshift__",
    "__rlshift__", "__ilshift__", "__rshift__", "__rrshift__", "__irshift__", "__lt__",
    "__le__", "__gt__", "__ge__",
}


def params(sig, skip_self=False, fname=None):
    out = []
    for i, (name, p) in enumerate(sig.parameters.items()):
        text = name
        if p.kind is p.VAR_POSITIONAL:
            text = "*" + name
        elif p.kind is p.VAR_KEYWORD:
            text = "**" + name
        if not (skip_self and i == 0 and name == "self"):
            ann = FUNC_ANNOT.get((fname, name)) or ANNOT.get(name)
            if ann:
                text += ": " + ann
        if p.default is not p.empty:
            d = p.default
            text += " = " + ("float32" if d is core.float32 else "int32" if d is core.int32 else repr(d))
        out.append((p.kind, text))
    # re-insert / and * markers
    res, seen_kw, prev = [], False, None
    for kind, text in out:
        if prev is inspect.Parameter.POSITIONAL_ONLY and kind is not inspect.Parameter.POSITIONAL_ONLY:
            res.append("/")
        if kind is inspect.Parameter.VAR_POSITIONAL:
            seen_kw = True  # what follows *args is keyword-only already
        if kind is inspect.Parameter.KEYWORD_ONLY and not seen_kw:
            res.append("*")
            seen_kw = True
        prev = kind
        res.append(text)
    if prev is inspect.Parameter.POSITIONAL_ONLY:
        res.append("/")
    return ", ".join(res)


def signature(obj):
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def function_stub(name, fn, indent="", method=False):
    sig = signature(fn)
    ret = RETURNS.get(name, "array")
    if sig is None:
        args = "self, *args: Any, **kwargs: Any" if method else "*args: Any, **kwargs: Any"
    else:
        args = params(sig, skip_self=method, fname=None if method else name)
        if method and not args.startswith("self"):
            args = "self" + (", " + args if args else "")
    return f"{indent}def {name}({args}) -> {ret}: ..."


# Submodules: emitted as a class of static methods and an attribute of its
# type (as metal and cuda below), with their own annotations and returns.
SUBMODULES = {
    "linalg": ("_Linalg", {
        "ord": "Union[None, int, float, str]", "axis": "Union[None, int, Sequence[int]]",
        "compute_uv": "bool", "upper": "bool", "UPLO": "str",
    }, {
        "qr": "Tuple[array, array]", "svd": "Union[Tuple[array, array, array], array]",
        "eig": "Tuple[array, array]", "eigh": "Tuple[array, array]",
        "lu": "Tuple[array, array, array]", "lu_factor": "Tuple[array, array]",
        "slogdet": "Tuple[array, array]",
    }),
    "fft": ("_FFT", {
        "n": "Optional[int]", "s": "Optional[Sequence[int]]", "norm": "str", "d": "float",
        "axes": "Union[None, int, Sequence[int]]", "axis": "int",
    }, {}),
    "random": ("_Random", {
        "seed": "int", "key": "Optional[array]", "num": "int", "width": "int", "low": "Union[scalar, array]",
        "high": "Union[scalar, array]", "loc": "Union[None, scalar, array]", "scale": "Union[None, scalar, array]",
        "p": "Union[scalar, array]", "lower": "Union[scalar, array]", "upper": "Union[scalar, array]",
        "logits": "array", "axis": "int", "num_samples": "Optional[int]", "mean": "array", "cov": "array",
        "x": "Union[int, array]", "shape": "Optional[Sequence[int]]",
    }, {"seed": "None"}),
    "fast": ("_Fast", {
        "x": "array", "a": "array", "q": "array", "k": "array", "v": "array", "eps": "float",
        "weight": "Optional[array]", "bias": "Optional[array]", "dims": "int", "traditional": "bool",
        "base": "Optional[float]", "scale": "float", "offset": "Union[int, array]",
        "freqs": "Optional[array]", "mask": "Union[None, str, array]", "sinks": "Optional[array]",
        "force_fused": "bool", "name": "str", "input_names": "Sequence[str]",
        "output_names": "Sequence[str]", "source": "str", "header": "str",
        "ensure_row_contiguous": "bool", "atomic_outputs": "bool", "shared_memory": "int",
    }, {"metal_kernel": "Callable[..., List[array]]", "cuda_kernel": "Callable[..., List[array]]",
        "precompiled_cuda_kernel": "List[array]"}),
}


def submodule_stub(name):
    cls, annot, returns = SUBMODULES[name]
    mod = getattr(core, name)
    saved = dict(ANNOT), dict(RETURNS)
    ANNOT.update(annot)
    RETURNS.clear()
    RETURNS.update(returns)
    out = [f"class {cls}:"]
    for n in sorted(x for x in dir(mod) if not x.startswith("_")):
        if not callable(getattr(mod, n)):  # random.state
            out.append(f"    {n}: List[Any]")
            continue
        out.append("    @staticmethod")
        out.append(function_stub(n, getattr(mod, n), "    "))
    ANNOT.clear()
    ANNOT.update(saved[0])
    RETURNS.clear()
    RETURNS.update(saved[1])
    out += ["", f"{name}: {cls}"]
    return out


def main():
    lines = [
        '"""Type stubs for ember.core (generated by python/tools/gen_stubs.py)."""',
        "from enum import Enum",
        "from os import PathLike",
        "from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union",
        "",
        "scalar = Union[bool, int, float, complex]",
        "FileLike = Union[str, bytes, \"PathLike[str]\", Any]",
        "_ArrayInput = Union[scalar, \"array\", Sequence[Any], Any]",
        "",
        "__version__: str",
        "pi: float",
        "e: float",
        "euler_gamma: float",
        "inf: float",
        "nan: float",
        "newaxis: None",
        "",
    ]
    names = sorted(n for n in dir(core) if not n.startswith("__"))
    classes = [n for n in names if isinstance(getattr(core, n), type)]
    for n in classes:
        cls = getattr(core, n)
        if issubclass(cls, BaseException):
            bases = ", ".join(b.__name__ for b in cls.__bases__)
            lines.append(f"class {n}({bases}): ...")
            lines.append("")
            continue
        if issubclass(cls, enum.Enum):
            lines.append(f"class {n}(Enum):")
            for m in cls:
                lines.append(f"    {m.name} = {m.value}")
            lines.append("")
            continue
        lines.append(f"class {n}:")
        if n == "array":
            lines.append("    def __init__(self, val: Any, dtype: Optional[Dtype] = None) -> None: ...")
        elif n in ("Device",):
            lines.append("    def __init__(self, type: DeviceType, index: int = 0) -> None: ...")
        elif n in ("finfo", "iinfo"):
            lines.append("    def __init__(self, dtype: Dtype, /) -> None: ...")
        elif n == "StreamContext":
            lines.append("    def __init__(self, s: Union[Stream, ThreadLocalStream, Device, DeviceType]) -> None: ...")
        elif n == "PrintOptions":
            lines.append("    def __init__(self, precision: int = -1) -> None: ...")
        elif n == "custom_function":
            lines.append("    def __init__(self, f: Callable[..., Any]) -> None: ...")
            lines.append("    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...")
            for rule in ("vjp", "jvp", "vmap"):
                lines.append(f"    def {rule}(self, f: Callable[..., Any]) -> custom_function: ...")
            lines.append("")
            continue
        for attr in sorted(vars(cls)):
            v = vars(cls)[attr]
            if attr.startswith("__") and attr not in RETURNS and attr not in ARRAY_DUNDERS \
                    and attr not in ("__getitem__", "__setitem__", "__neg__", "__pos__",
                                     "__abs__", "__invert__", "__copy__", "__deepcopy__",
                                     "__enter__", "__exit__", "__next__", "__div__", "__rdiv__"):
                continue
            if attr in ("__init__", "__new__"):
                continue
            if n != "array" and attr in ARRAY_DUNDERS:
                continue
            if isinstance(v, (property, type(core.array.shape))) or type(v).__name__ in (
                    "getset_descriptor", "member_descriptor"):
                ann = {"shape": "Tuple[int, ...]", "dtype": "Dtype", "ndim": "int", "size": "int",
                       "itemsize": "int", "nbytes": "int", "T": "array", "mT": "array",
                       "real": "array", "imag": "array", "at": "ArrayAt", "type": "DeviceType",
                       "device": "Device", "min": "Union[int, float]", "max": "Union[int, float]",
                       "eps": "float", "smallest_normal": "float", "bits": "int",
                       "precision": "int"}.get(attr, "Any")
                if n in ("finfo", "iinfo") and attr == "dtype":
                    ann = "Dtype"
                lines.append(f"    @property\n    def {attr}(self) -> {ann}: ...")
            elif attr in ARRAY_DUNDERS:
                lines.append(f"    def {attr}(self, other: _ArrayInput) -> array: ...")
            elif attr == "__getitem__":
                ret = "ArrayAt" if n == "ArrayAt" else "array"
                lines.append(f"    def __getitem__(self, key: Any) -> {ret}: ...")
            elif attr == "__setitem__":
                lines.append("    def __setitem__(self, key: Any, value: _ArrayInput) -> None: ...")
            elif attr in ("__neg__", "__pos__", "__abs__", "__invert__", "__copy__"):
                lines.append(f"    def {attr}(self) -> {n}: ...")
            elif attr == "__deepcopy__":
                lines.append(f"    def __deepcopy__(self, memo: Any) -> {n}: ...")
            elif attr == "__enter__":
                ret = "None" if n == "StreamContext" else n
                lines.append(f"    def __enter__(self) -> {ret}: ...")
            elif attr == "__exit__":
                lines.append("    def __exit__(self, *args: Any) -> None: ...")
            elif attr == "__next__":
                lines.append("    def __next__(self) -> array: ...")
            elif attr in ("__div__", "__rdiv__"):
                lines.append(f"    def {attr}(self, other: _ArrayInput) -> array: ...")
            elif attr in ("__eq__", "__ne__"):
                if n != "array":
                    lines.append(f"    def {attr}(self, other: object) -> bool: ...")
            elif callable(v):
                lines.append(function_stub(attr, getattr(cls, attr), "    ", method=True))
        if n == "array":
            for attr in ("__len__", "__iter__", "__bool__", "__int__", "__float__", "__index__",
                         "__hash__", "__repr__"):
                if not any(l.startswith(f"    def {attr}(") for l in lines):
                    lines.append(f"    def {attr}(self) -> {RETURNS[attr]}: ...")
            lines.append("    def __eq__(self, other: Any) -> Any: ...  # type: ignore[override]")
            lines.append("    def __ne__(self, other: Any) -> Any: ...  # type: ignore[override]")
        if lines[-1] == f"class {n}:":
            lines.append("    ...")
        lines.append("")
    for n in names:
        v = getattr(core, n)
        if n in classes:
            continue
        if type(v).__name__ == "module":
            continue
        if callable(v):
            lines.append(function_stub(n, v))
        elif isinstance(v, enum.Enum):
            lines.append(f"{n}: {type(v).__name__}")
        elif isinstance(v, core.Dtype):
            lines.append(f"{n}: Dtype")
    lines.append("")
    lines.append("class _Backend:")
    lines.append("    @staticmethod")
    lines.append("    def is_available() -> bool: ...")
    lines.append("")
    lines.append("metal: _Backend")
    lines.append("cuda: _Backend")
    for name in SUBMODULES:
        lines.append("")
        lines += submodule_stub(name)
    lines += [
        "",
        "class _Group:",
        "    def rank(self) -> int: ...",
        "    def size(self) -> int: ...",
        "    def split(self, color: int, key: int = -1) -> _Group: ...",
        "",
        "class _Distributed:",
        "    Group = _Group",
        "    @staticmethod",
        "    def is_available(backend: str = 'any') -> bool: ...",
        "    @staticmethod",
        "    def init(strict: bool = False, backend: str = 'any', *, all_gather_factory: Optional[Callable[..., Any]] = None) -> _Group: ...",
    ]
    for f in ("all_sum", "all_max", "all_min", "all_gather", "sum_scatter"):
        lines += ["    @staticmethod",
                  f"    def {f}(x: array, *, group: Optional[_Group] = None, stream: Union[None, Stream, Device] = None) -> array: ..."]
    lines += [
        "    @staticmethod",
        "    def send(x: array, dst: int, *, group: Optional[_Group] = None, stream: Union[None, Stream, Device] = None) -> array: ...",
        "    @staticmethod",
        "    def recv(shape: Sequence[int], dtype: Dtype, src: int, *, group: Optional[_Group] = None, stream: Union[None, Stream, Device] = None) -> array: ...",
        "    @staticmethod",
        "    def recv_like(x: array, src: int, *, group: Optional[_Group] = None, stream: Union[None, Stream, Device] = None) -> array: ...",
        "",
        "distributed: _Distributed",
    ]
    text = "\n".join(lines) + "\n"
    with open(OUT, "w") as f:
        f.write(text)
    print(f"wrote {OUT}: {len(lines)} lines")


if __name__ == "__main__":
    sys.exit(main())
