"""File I/O: mx.save / load / savez / savez_compressed / save_safetensors /
save_gguf against NumPy, the `safetensors` package and the `gguf` package
(byte for byte where those are deterministic), MLX's signatures and errors,
file objects, quantized GGUF tensors, and malformed files."""
import inspect
import io
import os
import pathlib
import struct
import zipfile

import numpy as np
import pytest

import ember.core as mx
from conftest import ALL_DTYPES, NP, assert_array, dtype_name, make, sample, to_numpy

NUMPY_DTYPES = [d for d in ALL_DTYPES if d != mx.bfloat16]
SHAPES = [(), (0,), (5,), (2, 3), (2, 0, 3), (3, 1, 4)]


def npy_bytes(x, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, x)
    else:
        np.lib.format.write_array(b, x, version=version)
    return b.getvalue()


# ---------------------------------------------------------------- npy


@pytest.mark.parametrize("dtype", NUMPY_DTYPES, ids=dtype_name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_npy_matches_numpy_bytes(tmp_path, dtype, shape):
    x = sample(shape, dtype)
    mx.save(tmp_path / "a.npy", make(x, dtype))
    assert (tmp_path / "a.npy").read_bytes() == npy_bytes(x)
    back = mx.load(str(tmp_path / "a.npy"))
    assert_array(back, x, dtype=dtype)
    np.save(tmp_path / "n.npy", x)
    assert_array(mx.load(tmp_path / "n.npy"), x, dtype=dtype)


@pytest.mark.parametrize("dtype", [mx.float32, mx.int16, mx.complex64, mx.bool_], ids=dtype_name)
def test_npy_fortran_order(tmp_path, dtype):
    x = sample((3, 4, 2), dtype)
    a = make(x, dtype).transpose(2, 1, 0)           # column-major in memory
    mx.save(tmp_path / "f.npy", a)
    assert (tmp_path / "f.npy").read_bytes() == npy_bytes(np.asfortranarray(x.transpose(2, 1, 0)))
    assert_array(mx.load(tmp_path / "f.npy"), x.transpose(2, 1, 0), dtype=dtype)
    np.save(tmp_path / "g.npy", np.asfortranarray(x))
    assert_array(mx.load(tmp_path / "g.npy"), x, dtype=dtype)


def test_npy_views_and_lazy_arrays(tmp_path):
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    a = mx.array(x)
    for arr, ref in [(a[1::2, ::3], x[1::2, ::3]), (a + 1, x + 1), (mx.broadcast_to(a[:1], (3, 6)),
                                                                      np.broadcast_to(x[:1], (3, 6)))]:
        mx.save(tmp_path / "v.npy", arr)
        assert (tmp_path / "v.npy").read_bytes() == npy_bytes(np.ascontiguousarray(ref))


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_npy_versions(tmp_path, version):
    x = np.arange(10, dtype=np.uint16).reshape(2, 5)
    (tmp_path / "v.npy").write_bytes(npy_bytes(x, version))
    assert_array(mx.load(tmp_path / "v.npy"), x, dtype=mx.uint16)


def test_npy_big_endian_and_bfloat16(tmp_path):
    x = np.arange(6, dtype=">f4").reshape(2, 3)
    np.save(tmp_path / "be.npy", x)
    assert_array(mx.load(tmp_path / "be.npy"), x.astype("<f4"), dtype=mx.float32)
    c = np.array([1 + 2j, -3j], dtype=">c8")
    np.save(tmp_path / "bc.npy", c)
    assert_array(mx.load(tmp_path / "bc.npy"), c.astype("<c8"), dtype=mx.complex64)
    # bfloat16 is '<V2', as MLX writes it
    b = mx.array([1.0, -2.5, 3.0], dtype=mx.bfloat16)
    mx.save(tmp_path / "bf.npy", b)
    raw = (tmp_path / "bf.npy").read_bytes()
    assert b"'descr': '<V2'" in raw
    back = mx.load(tmp_path / "bf.npy")
    assert back.dtype == mx.bfloat16 and back.tolist() == [1.0, -2.5, 3.0]


def test_npy_special_values_bit_exact(tmp_path):
    x = np.array([np.nan, -np.inf, np.inf, -0.0, 1e-45, 3.4e38], dtype=np.float32)
    mx.save(tmp_path / "s.npy", mx.array(x))
    back = np.load(tmp_path / "s.npy")
    assert back.tobytes() == x.tobytes()
    assert np.array(mx.load(tmp_path / "s.npy")).tobytes() == x.tobytes()


# ---------------------------------------------------------------- npz


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_matches_numpy_bytes(tmp_path, compressed):
    xs = {d: sample((2, 3), d) for d in NUMPY_DTYPES}
    pos = [sample((4,), mx.float32), sample((0, 2), mx.int8)]
    kw = {"w_" + dtype_name(d): x for d, x in xs.items()}
    save = mx.savez_compressed if compressed else mx.savez
    npsave = np.savez_compressed if compressed else np.savez
    save(tmp_path / "e.npz", *[mx.array(p) for p in pos],
         **{k: make(v, d) for (k, v), d in zip(kw.items(), xs)})
    b = io.BytesIO()
    npsave(b, *pos, **kw)
    assert (tmp_path / "e.npz").read_bytes() == b.getvalue()
    back = mx.load(tmp_path / "e.npz")
    assert list(back) == list(kw) + ["arr_0", "arr_1"]
    for (k, x), d in zip(kw.items(), xs):
        assert_array(back[k], x, dtype=d)
    with np.load(tmp_path / "e.npz") as z:
        for k in kw:
            np.testing.assert_array_equal(z[k], kw[k])


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_from_numpy_and_zipfile(tmp_path, compressed):
    x = np.arange(12, dtype=np.float64).reshape(3, 4)
    (np.savez_compressed if compressed else np.savez)(tmp_path / "n.npz", x, y=np.asfortranarray(x))
    d = mx.load(tmp_path / "n.npz")
    assert_array(d["arr_0"], x, dtype=mx.float64)
    assert_array(d["y"], x, dtype=mx.float64)
    # written by zipfile without zip64 extras, with a data descriptor (non-seekable)
    class Pipe(io.RawIOBase):
        def __init__(self):
            self.b = bytearray()

        def writable(self):
            return True

        def write(self, data):
            self.b += data
            return len(data)

    p = Pipe()
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as z:
        z.writestr("é.npy", npy_bytes(x))
    (tmp_path / "p.npz").write_bytes(bytes(p.b))
    d = mx.load(tmp_path / "p.npz")
    assert list(d) == ["é"]
    assert_array(d["é"], x, dtype=mx.float64)


def test_savez_names_and_errors(tmp_path):
    a = mx.arange(3)
    mx.savez(str(tmp_path / "z"), a, b=a)            # ".npz" appended
    assert list(mx.load(tmp_path / "z.npz")) == ["b", "arr_0"]
    with pytest.raises(ValueError, match=r"\[savez\] Cannot use un-named variables and keyword arr_0"):
        mx.savez(tmp_path / "z2", a, arr_0=a)
    with pytest.raises(TypeError):
        mx.savez(tmp_path / "z3", [1, 2])
    with pytest.raises(TypeError):
        mx.savez()


# ---------------------------------------------------------------- safetensors


def test_safetensors_matches_package_bytes(tmp_path):
    from safetensors.numpy import load_file, save, save_file
    xs = {"t_" + dtype_name(d): sample((2, 3), d) for d in NUMPY_DTYPES}
    xs["scalar"] = np.array(1.5, np.float64)
    xs["empty"] = np.zeros((0, 4), np.float32)
    arrays = {k: make(v, [d for d in NUMPY_DTYPES if NP[d] == v.dtype.type][0]) for k, v in xs.items()}
    mx.save_safetensors(str(tmp_path / "a"), arrays)   # ".safetensors" appended
    assert (tmp_path / "a.safetensors").read_bytes() == save(xs)
    mx.save_safetensors(tmp_path / "m.safetensors", arrays, metadata={"format": "pt"})
    assert (tmp_path / "m.safetensors").read_bytes() == save(xs, metadata={"format": "pt"})
    # and back: files written by the package
    save_file(xs, tmp_path / "p.safetensors", metadata={"a": "1", "b": "ü"})
    d, meta = mx.load(tmp_path / "p.safetensors", return_metadata=True)
    assert meta == {"a": "1", "b": "ü"}
    for k, x in xs.items():
        assert_array(d[k], x)
    ref = load_file(tmp_path / "m.safetensors")
    assert sorted(ref) == sorted(xs)


def test_safetensors_bfloat16_and_fp8(tmp_path):
    from safetensors import TensorSpec, serialize
    bf = np.array([0x3F80, 0xC020, 0x0000, 0x7F80], dtype=np.uint16)   # 1, -2.5, 0, inf
    f8 = np.array([1, 2, 255], dtype=np.uint8)
    specs = {"bf": TensorSpec(dtype="bfloat16", shape=[4], data_ptr=bf.ctypes.data, data_len=8),
             "f8": TensorSpec(dtype="float8_e4m3fn", shape=[3], data_ptr=f8.ctypes.data, data_len=3)}
    raw = bytes(serialize(specs, None))
    (tmp_path / "b.safetensors").write_bytes(raw)
    d = mx.load(tmp_path / "b.safetensors")
    assert d["bf"].dtype == mx.bfloat16 and d["bf"].tolist() == [1.0, -2.5, 0.0, float("inf")]
    assert d["f8"].dtype == mx.uint8 and d["f8"].tolist() == [1, 2, 255]   # raw bytes, as MLX
    # ember writes the package's bytes for bfloat16 too
    only = bytes(serialize({"bf": specs["bf"]}, None))
    mx.save_safetensors(tmp_path / "c.safetensors", {"bf": d["bf"]})
    assert (tmp_path / "c.safetensors").read_bytes() == only


def test_safetensors_metadata_errors(tmp_path):
    a = {"a": mx.arange(2)}
    msg = r"\[save_safetensors\] Metadata must be a dictionary with string keys and values"
    for bad in ({"k": 1}, {1: "v"}, ["k"]):
        with pytest.raises(ValueError, match=msg):
            mx.save_safetensors(tmp_path / "x", a, bad)
    with pytest.raises(TypeError):
        mx.save_safetensors(tmp_path / "x", [mx.arange(2)])
    with pytest.raises(TypeError):
        mx.save_safetensors(tmp_path / "x", {"a": [1, 2]})
    assert not (tmp_path / "x.safetensors").exists()


# ---------------------------------------------------------------- gguf


def gguf_write(path, fill):
    import gguf
    w = gguf.GGUFWriter(str(path), None)
    fill(w)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def test_gguf_from_package(tmp_path):
    from gguf import GGMLQuantizationType as Q
    tensors = {"f32": np.arange(6, dtype=np.float32).reshape(2, 3),
               "f16": np.arange(6, dtype=np.float16).reshape(3, 2),
               "f64": np.arange(3, dtype=np.float64), "i8": np.arange(4, dtype=np.int8),
               "i16": np.arange(4, dtype=np.int16), "i32": np.arange(4, dtype=np.int32).reshape(2, 1, 2),
               "i64": np.arange(4, dtype=np.int64)}
    bf = np.array([[0x3F80, 0x4000]], dtype=np.uint16)

    def fill(w):
        w.add_uint8("u8", 7)
        w.add_int8("i8", -7)
        w.add_uint16("u16", 700)
        w.add_int16("i16", -700)
        w.add_uint32("u32", 70000)
        w.add_int32("i32", -70000)
        w.add_float32("f32", 1.5)
        w.add_bool("b", True)
        w.add_string("s", "héllo")
        w.add_uint64("u64", 2 ** 40)
        w.add_int64("i64", -2 ** 40)
        w.add_float64("f64", 2.25)
        w.add_array("ai", [1, 2, 3])
        w.add_array("af", [1.5, 2.5])
        w.add_array("ab", [True, False])
        w.add_array("as", ["a", "bc"])
        for k, v in tensors.items():
            w.add_tensor(k, v)
        w.add_tensor("bf16", bf, raw_shape=bf.shape, raw_dtype=Q.BF16)

    gguf_write(tmp_path / "g.gguf", fill)
    d, m = mx.load(tmp_path / "g.gguf", return_metadata=True)
    for k, v in tensors.items():
        assert_array(d[k], v)
    assert d["bf16"].dtype == mx.bfloat16 and d["bf16"].tolist() == [[1.0, 2.0]]
    want = {"u8": (mx.uint8, 7), "i8": (mx.int8, -7), "u16": (mx.uint16, 700),
            "i16": (mx.int16, -700), "u32": (mx.uint32, 70000), "i32": (mx.int32, -70000),
            "f32": (mx.float32, 1.5), "b": (mx.bool_, True), "u64": (mx.uint64, 2 ** 40),
            "i64": (mx.int64, -2 ** 40), "f64": (mx.float64, 2.25)}
    for k, (dt, v) in want.items():
        assert isinstance(m[k], mx.array) and m[k].dtype == dt and m[k].ndim == 0 and m[k].item() == v
    assert m["s"] == "héllo" and m["as"] == ["a", "bc"]
    assert m["ai"].dtype == mx.int32 and m["ai"].tolist() == [1, 2, 3]
    assert m["af"].tolist() == [1.5, 2.5] and m["ab"].tolist() == [True, False]


def test_gguf_matches_package_bytes(tmp_path):
    import gguf
    t = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "h": np.ones(5, np.float16),
         "i": np.arange(3, dtype=np.int32)}
    mx.save_gguf(str(tmp_path / "e"), {k: mx.array(v) for k, v in t.items()},
                 {"s": "str", "l": ["a", "b"], "x": mx.array(3), "y": mx.array([1.5, 2.0]),
                  "z": mx.array(True), "q": mx.array([1, 2], dtype=mx.uint64)})

    def fill(w):
        w.add_string("s", "str")
        w.add_array("l", ["a", "b"])
        w.add_int32("x", 3)
        w.add_key_value("y", [1.5, 2.0], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.FLOAT32)
        w.add_bool("z", True)
        w.add_key_value("q", [1, 2], gguf.GGUFValueType.ARRAY, sub_type=gguf.GGUFValueType.UINT64)
        for k, v in t.items():
            w.add_tensor(k, v)

    gguf_write(tmp_path / "p.gguf", fill)
    assert (tmp_path / "e.gguf").read_bytes() == (tmp_path / "p.gguf").read_bytes()
    r = gguf.GGUFReader(str(tmp_path / "e.gguf"))
    for ti in r.tensors:
        np.testing.assert_array_equal(np.asarray(ti.data).reshape(t[ti.name].shape), t[ti.name])


def test_gguf_save_errors(tmp_path):
    a = mx.arange(3)
    with pytest.raises(RuntimeError, match=r"\[save_gguf\] dtype uint8 is not supported"):
        mx.save_gguf(tmp_path / "x", {"a": a.astype(mx.uint8)})
    with pytest.raises(ValueError, match="more than one dimension"):
        mx.save_gguf(tmp_path / "x", {}, {"k": mx.zeros((2, 2))})
    with pytest.raises(ValueError, match="array type float16 not support for metadata"):
        mx.save_gguf(tmp_path / "x", {}, {"k": mx.zeros(2, mx.float16)})
    with pytest.raises(ValueError):
        mx.save_gguf(tmp_path / "x", {}, {"k": 3})
    with pytest.raises(ValueError):
        mx.save_gguf(tmp_path / "x", {}, {"k": ["a", 1]})
    assert not (tmp_path / "x.gguf").exists()


def unpack(w, bits):
    """MLX's packing: element i in bits bits*(i % per) of word i // per."""
    w = np.asarray(w).astype(np.uint32)
    per = 32 // bits
    shifts = (np.arange(per, dtype=np.uint32) * bits)
    q = (w[..., None] >> shifts) & ((1 << bits) - 1)
    return q.reshape(*w.shape[:-1], w.shape[-1] * per).astype(np.float32)


@pytest.mark.parametrize("qname,bits", [("Q4_0", 4), ("Q4_1", 4), ("Q8_0", 8)])
def test_gguf_quantized_as_mlx(tmp_path, qname, bits):
    from gguf import GGMLQuantizationType as Q, quants
    qt = getattr(Q, qname)
    x = np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)
    q = quants.quantize(x, qt)
    gguf_write(tmp_path / "q.gguf",
               lambda w: w.add_tensor("blk.0.weight", q, raw_shape=q.shape, raw_dtype=qt))
    d = mx.load(tmp_path / "q.gguf")
    assert sorted(d) == ["blk.0.biases", "blk.0.scales", "blk.0.weight"]
    w, s, b = d["blk.0.weight"], d["blk.0.scales"], d["blk.0.biases"]
    assert w.dtype == mx.uint32 and w.shape == (4, 64 * bits // 32)
    assert s.dtype == b.dtype == mx.float16 and s.shape == b.shape == (4, 2)
    vals = unpack(w, bits).reshape(4, 2, 32)
    deq = (vals * to_numpy(s)[..., None].astype(np.float32)
           + to_numpy(b)[..., None].astype(np.float32)).reshape(4, 64)
    np.testing.assert_allclose(deq, quants.dequantize(q, qt), rtol=0, atol=2e-3)


@pytest.mark.parametrize("qname,size", [("Q2_K", 84), ("Q4_K", 144), ("Q6_K", 210)])
def test_gguf_k_quants_as_float16(tmp_path, qname, size):
    from gguf import GGMLQuantizationType as Q, quants
    qt = getattr(Q, qname)
    raw = (np.random.default_rng(1).integers(0, 256, size=(2, 2 * size), dtype=np.uint8) & 0x3B)
    raw = raw.astype(np.uint8)
    gguf_write(tmp_path / "k.gguf", lambda w: w.add_tensor("k", raw, raw_shape=raw.shape, raw_dtype=qt))
    k = mx.load(tmp_path / "k.gguf")["k"]
    assert k.dtype == mx.float16 and k.shape == (2, 512)
    ref = quants.dequantize(raw, qt).astype(np.float16)
    np.testing.assert_array_equal(np.array(k), ref)


def test_gguf_unsupported_quant(tmp_path):
    from gguf import GGMLQuantizationType as Q, quants
    q = quants.quantize(np.ones((1, 32), np.float32), Q.Q5_0)
    gguf_write(tmp_path / "q5.gguf", lambda w: w.add_tensor("w", q, raw_shape=q.shape, raw_dtype=Q.Q5_0))
    with pytest.raises(RuntimeError, match=r"tensor 'w' has the type Q5_0, which ember does not load"):
        mx.load(tmp_path / "q5.gguf")


# ---------------------------------------------------------------- the Python API


def test_signatures():
    def names(f):
        return [(p.name, p.kind.name, p.default) for p in inspect.signature(f).parameters.values()]
    E = inspect.Parameter.empty
    assert names(mx.save) == [("file", "POSITIONAL_OR_KEYWORD", E), ("arr", "POSITIONAL_OR_KEYWORD", E)]
    assert names(mx.load) == [("file", "POSITIONAL_ONLY", E), ("format", "POSITIONAL_OR_KEYWORD", None),
                              ("return_metadata", "POSITIONAL_OR_KEYWORD", False),
                              ("stream", "KEYWORD_ONLY", None)]
    assert names(mx.savez) == [("file", "POSITIONAL_OR_KEYWORD", E), ("args", "VAR_POSITIONAL", E),
                               ("kwargs", "VAR_KEYWORD", E)]
    assert names(mx.savez_compressed) == names(mx.savez)
    for f in (mx.save_safetensors, mx.save_gguf):
        assert names(f) == [("file", "POSITIONAL_OR_KEYWORD", E), ("arrays", "POSITIONAL_OR_KEYWORD", E),
                            ("metadata", "POSITIONAL_OR_KEYWORD", None)]


def test_load_errors_as_mlx(tmp_path):
    a = mx.arange(3)
    mx.save(tmp_path / "a", a)
    assert (tmp_path / "a.npy").exists()
    with pytest.raises(ValueError, match=r"^\[load\] Could not infer file format from extension$"):
        mx.load(tmp_path / "noext")
    with pytest.raises(ValueError, match=r"^\[load\] Unknown file format foo$"):
        mx.load(tmp_path / "a.npy", format="foo")
    with pytest.raises(ValueError, match=r"^\[load\] Unknown file format bin$"):
        mx.load(tmp_path / "x.bin")
    for fmt in ("npy", "npz"):
        with pytest.raises(ValueError, match=r"^\[load\] metadata not supported for format %s$" % fmt):
            mx.load(tmp_path / "a.npy", format=fmt, return_metadata=True)
    with pytest.raises(RuntimeError, match=r"\[load\] Failed to open file .*missing\.npy"):
        mx.load(tmp_path / "missing.npy")
    with pytest.raises(OSError):
        mx.load(tmp_path / "missing.npy")
    with pytest.raises(RuntimeError, match=r"\[save\] Failed to open file"):
        mx.save(tmp_path / "no" / "dir.npy", a)
    with pytest.raises(TypeError):
        mx.save(tmp_path / "l.npy", [1, 2])
    with pytest.raises(ValueError, match=r"Input must be a file-like object, or string"):
        mx.save(3, a)
    with pytest.raises(ValueError, match=r"Input must be a file-like object, or string"):
        mx.load(3)
    assert_array(mx.load(str(tmp_path / "a.npy"), stream=mx.cpu), np.arange(3, dtype=np.int32))


def test_file_objects(tmp_path):
    a = mx.array(np.arange(12, dtype=np.float32).reshape(3, 4))
    cases = [(lambda f: mx.save(f, a), "npy"),
             (lambda f: mx.savez(f, a, b=a), "npz"),
             (lambda f: mx.savez_compressed(f, a), "npz"),
             (lambda f: mx.save_safetensors(f, {"a": a}, {"k": "v"}), "safetensors"),
             (lambda f: mx.save_gguf(f, {"a": a}, {"k": "v"}), "gguf")]
    for save, fmt in cases:
        b = io.BytesIO()
        save(b)
        # the same bytes as saving to a path
        path = tmp_path / ("f." + fmt)
        save(str(path))
        assert b.getvalue() == path.read_bytes(), fmt
        b.seek(0)
        r = mx.load(b, format=fmt)
        first = r if fmt == "npy" else next(iter(r.values()))
        assert_array(first, np.arange(12, dtype=np.float32).reshape(3, 4))
        # from a real file object, its extension naming the format
        with open(path, "rb") as f:
            r = mx.load(f)
        with open(path, "rb") as f:
            f.read(0)
            mx.load(f, format=fmt)
    # no name, no format: MLX's AttributeError-free message
    b = io.BytesIO()
    mx.save(b, a)
    b.seek(0)
    with pytest.raises(ValueError, match="Could not infer file format"):
        mx.load(b)
    # a file object that fails: its exception comes through
    class Broken(io.BytesIO):
        def read(self, n=-1):
            raise KeyError("boom")
    with pytest.raises(KeyError):
        mx.load(Broken(b.getvalue()), format="npy")
    # a reader that returns too little
    class Short(io.BytesIO):
        def read(self, n=-1):
            return super().read(min(n, 3) if n and n > 0 else n)
    r = mx.load(Short(b.getvalue()), format="npy")
    assert r.shape == (3, 4)
    # pathlib, bytes paths
    mx.save(pathlib.Path(tmp_path / "p.npy"), a)
    assert mx.load(os.fsencode(str(tmp_path / "p.npy"))).shape == (3, 4)


def test_loading_maps_and_saving_over_mapped_files(tmp_path):
    x = np.arange(1 << 20, dtype=np.float32)
    mx.save_safetensors(tmp_path / "w.safetensors", {"w": mx.array(x)})
    before = mx.get_active_memory()
    w = mx.load(tmp_path / "w.safetensors")["w"]
    assert mx.get_active_memory() - before < 4096       # shared with the mapping
    mx.save_safetensors(tmp_path / "w.safetensors", {"w": w + 1})   # over the mapped file
    assert_array(w, x)
    assert_array(mx.load(tmp_path / "w.safetensors")["w"], x + 1)
    assert [p.name for p in tmp_path.iterdir()] == ["w.safetensors"]


def test_file_error_type():
    assert issubclass(mx._FileError, RuntimeError) and issubclass(mx._FileError, OSError)


# ---------------------------------------------------------------- malformed files


MALFORMED = [
    ("x.npy", b"\x93NUMPY\x01\x00\xff\x00{", "header length 255 runs past the end"),
    ("x.npy", b"\x93NUMPZ\x01\x00\x10\x00", "not an .npy file"),
    ("x.npy", npy_bytes(np.arange(4.0))[:-1], "data is truncated"),
    ("x.npz", b"PK\x03\x04" + b"\0" * 30, "end of central directory"),
    ("x.safetensors", struct.pack("<Q", 2) + b"{}" + b"xx", "the data section has 2"),
    ("x.safetensors", struct.pack("<Q", 7) + b'{"a":1}', "is not an object"),
    ("x.safetensors", struct.pack("<Q", 8) + b'{"a":1,}', "expected a string key"),
    ("x.safetensors", struct.pack("<Q", 1 << 40) + b"{}", "larger than the format's limit"),
    ("x.gguf", b"GGUF\x01\x00\x00\x00" + b"\0" * 16, "version 1 is not supported"),
    ("x.gguf", b"GGUF\x03\x00\x00\x00" + b"\xff" * 16, "metadata count"),
]


@pytest.mark.parametrize("name,data,msg", MALFORMED, ids=[m[2] for m in MALFORMED])
def test_malformed(tmp_path, name, data, msg):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(RuntimeError) as e:
        mx.load(p)
    assert msg in str(e.value) and name in str(e.value)
    assert isinstance(e.value, OSError)
    with pytest.raises(RuntimeError, match="Cannot load '<file object>'"):
        mx.load(io.BytesIO(data), format=name.split(".")[1])


def test_truncations_never_crash(tmp_path):
    """Every prefix of a file of each format loads or fails cleanly."""
    a = {"w": mx.array(np.arange(6, dtype=np.float32).reshape(2, 3)), "b": mx.array([1, 2], dtype=mx.int8)}
    files = []
    for save, fmt in [(lambda f: mx.savez(f, **a), "npz"), (lambda f: mx.savez_compressed(f, **a), "npz"),
                      (lambda f: mx.save_safetensors(f, a, {"k": "v"}), "safetensors"),
                      (lambda f: mx.save_gguf(f, a, {"k": "v", "l": ["a"]}), "gguf"),
                      (lambda f: mx.save(f, a["w"]), "npy")]:
        b = io.BytesIO()
        save(b)
        files.append((b.getvalue(), fmt))
    for data, fmt in files:
        for n in range(len(data)):
            try:
                mx.load(io.BytesIO(data[:n]), format=fmt)
            except RuntimeError as e:
                assert "Cannot load" in str(e)
