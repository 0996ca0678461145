"""Writes the small seed corpus of the fuzz targets into fuzz/corpus/<format>/
with NumPy, the `safetensors` package and the `gguf` package (the files are
checked in; rerun only to change them):

    python fuzz/make_corpus.py
"""
import io
import os
import struct
import zipfile

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def out(fmt, name, data):
    d = os.path.join(HERE, fmt)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    b = io.BytesIO()
    if version is None:
        np.save(b, a)
    else:
        np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def npy():
    out("npy", "f32_2x3", npy_bytes(np.arange(6, dtype=np.float32).reshape(2, 3)))
    out("npy", "f64_fortran", npy_bytes(np.asfortranarray(np.arange(6.0).reshape(2, 3))))
    out("npy", "bool_0d", npy_bytes(np.array(True)))
    out("npy", "i8_empty", npy_bytes(np.zeros((0, 3), np.int64)))
    out("npy", "be_f4", npy_bytes(np.arange(3, dtype=">f4")))
    out("npy", "c8", npy_bytes(np.array([1 + 2j], np.complex64)))
    out("npy", "u2_v2", npy_bytes(np.arange(4, dtype=np.uint16), version=(2, 0)))
    out("npy", "f2_v3", npy_bytes(np.arange(4, dtype=np.float16), version=(3, 0)))
    out("npy", "bf16", b"\x93NUMPY\x01\x00" + struct.pack("<H", 54) +
        b"{'descr': '<V2', 'fortran_order': False, 'shape': (2,), }".ljust(53) + b"\n" +
        b"\x80\x3f\x00\x40")


def npz():
    for name, fn in [("stored", np.savez), ("deflated", np.savez_compressed)]:
        b = io.BytesIO()
        fn(b, np.arange(4, dtype=np.int32), w=np.ones((2, 2), np.float16))
        out("npz", name, b.getvalue())
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:   # no zip64 extras, a UTF-8 name
        z.writestr("é.npy", npy_bytes(np.arange(2, dtype=np.uint8)))
    out("npz", "plain_utf8", b.getvalue())


def safetensors():
    from safetensors.numpy import save
    out("safetensors", "two", save({"a": np.arange(4, dtype=np.float32),
                                    "b": np.ones((2, 3), np.int8)}, metadata={"k": "v"}))
    out("safetensors", "empty", save({}))
    out("safetensors", "scalar_bool", save({"s": np.array(1.5, np.float64),
                                            "t": np.array([True, False])}))
    h = b'{"x":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},"__metadata__":null}'
    out("safetensors", "bf16_null_meta", struct.pack("<Q", len(h)) + h + b"\x80\x3f\x00\x40")


def gguf_files():
    import gguf
    from gguf import GGMLQuantizationType as Q, quants

    def write(name, fill):
        path = os.path.join(HERE, "gguf", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        w = gguf.GGUFWriter(path, None)
        fill(w)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()

    def kv(w):
        w.add_uint8("u8", 7)
        w.add_int16("i16", -3)
        w.add_float32("f32", 1.5)
        w.add_bool("b", True)
        w.add_string("s", "héllo")
        w.add_uint64("u64", 2 ** 40)
        w.add_float64("f64", 2.25)
        w.add_array("ai", [1, 2, 3])
        w.add_array("as", ["a", "bc"])
        w.add_tensor("t", np.arange(6, dtype=np.float32).reshape(2, 3))
        w.add_tensor("h", np.arange(4, dtype=np.float16))
        w.add_tensor("i", np.arange(4, dtype=np.int32))

    def quant(w):
        x = np.linspace(-1, 1, 64, dtype=np.float32).reshape(2, 32)
        for qt in (Q.Q4_0, Q.Q4_1, Q.Q8_0):
            q = quants.quantize(x, qt)
            w.add_tensor("blk.%s.weight" % qt.name, q, raw_shape=q.shape, raw_dtype=qt)

    def kquant(w):
        rng = np.random.default_rng(0)
        for qt, size in ((Q.Q2_K, 84), (Q.Q4_K, 144), (Q.Q6_K, 210)):
            raw = (rng.integers(0, 256, size=(1, size), dtype=np.uint8) & 0x3B).astype(np.uint8)
            w.add_tensor("k%s" % qt.name, raw, raw_shape=raw.shape, raw_dtype=qt)

    write("kv_tensors", kv)
    write("quantized", quant)
    write("kquant", kquant)
    write("empty", lambda w: None)


if __name__ == "__main__":
    npy()
    npz()
    safetensors()
    gguf_files()
