"""export_function / import_function / exporter: round trips over many ops,
several traces and shapes, keyword inputs, constants, metadata, errors, and
damaged files (random corruptions never crash)."""
import os

import numpy as np
import pytest

import ember.core as mx

rng = np.random.default_rng(1)


def arr(*shape):
    return mx.array(rng.standard_normal(shape).astype(np.float32))


def same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-6, atol=1e-6)


W = arr(4, 4)


def model(x, y):
    h = mx.tanh(x @ W + 1.0) * mx.exp(-mx.abs(y))
    h = mx.concatenate([h, mx.sort(h, axis=-1)], axis=0)
    s = mx.softmax(h, axis=-1).sum(axis=0, keepdims=True)
    idx = mx.argmax(h, axis=1)
    t = mx.transpose(mx.reshape(h, (-1, 2, 2)), (0, 2, 1))[:, 1]
    r = mx.fast.rms_norm(h, None, 1e-5) + mx.where(h > 0, h, 0.5 * h)
    return s, idx, t, r.astype(mx.float16), mx.cumsum(h, axis=1)


def test_round_trip_many_ops(tmp_path):
    x, y = arr(3, 4), arr(3, 4)
    path = str(tmp_path / "f.emfn")
    mx.export_function(path, model, x, y)
    f = mx.import_function(path)
    got = f(x, y)
    assert isinstance(got, tuple) and len(got) == 5
    for a, b in zip(got, model(x, y)):
        same(a, b)
    x2, y2 = arr(3, 4), arr(3, 4)  # new values, same signature
    for a, b in zip(f((x2, y2)), model(x2, y2)):
        same(a, b)


def test_kwargs_tuple_dict_and_metadata(tmp_path):
    p = str(tmp_path / "k.emfn")
    x, z = arr(2, 3), arr(2, 3)
    mx.export_function(p, lambda x, *, z: (x - z) * 2, x, z=z, metadata='{"a": 1}')
    f, meta = mx.import_function(p, return_metadata=True)
    assert meta == '{"a": 1}'
    same(f(x, z=z)[0], (x - z) * 2)
    same(f((x,), {"z": z})[0], (x - z) * 2)
    with pytest.raises(ValueError, match="No imported function found"):
        f(x, z)
    with pytest.raises(ValueError, match='"w"'):
        f(x, w=z)
    p2 = str(tmp_path / "t.emfn")
    mx.export_function(p2, lambda a, b: a / b, (x, z))
    same(mx.import_function(p2)(x, z)[0], x / z)
    assert mx.import_function(p2, return_metadata=True)[1] == ""


def test_exporter_several_traces(tmp_path):
    p = str(tmp_path / "e.emfn")
    fn = lambda x: [mx.sum(x * x, axis=-1), x.T]
    with mx.exporter(p, fn) as ex:
        ex(arr(2, 3))
        ex(arr(5))
        ex(arr(2, 3).astype(mx.float16))
    with pytest.raises(RuntimeError, match="after exporting is closed"):
        ex(arr(2))
    f = mx.import_function(p)
    for x in (arr(2, 3), arr(5), arr(2, 3).astype(mx.float16)):
        for a, b in zip(f(x), fn(x)):
            same(a, b)
    with pytest.raises(ValueError) as e:
        f(arr(4))
    msg = str(e.value)
    assert "[import_function::call]" in msg and "(2,3) float16" in msg and "(4) float32" in msg
    ex2 = mx.exporter(p, lambda x: x + 1)
    ex2(arr(3))
    ex2.close()
    same(mx.import_function(p)(mx.ones(3))[0], mx.ones(3) + 1)
    assert isinstance(ex2, mx.FunctionExporter)


def test_constants_and_shapeless_flag(tmp_path):
    z = arr(2, 3)
    p = str(tmp_path / "c.emfn")
    mx.export_function(p, lambda x: x + z + mx.arange(3), arr(2, 3), shapeless=True)
    x = arr(2, 3)
    same(mx.import_function(p)(x)[0], x + z + mx.arange(3))
    p2 = str(tmp_path / "n.emfn")
    mx.export_function(p2, lambda: mx.ones((2,)) * 3)  # no inputs at all
    same(mx.import_function(p2)()[0], mx.ones((2,)) * 3)


def test_export_errors(tmp_path):
    p = str(tmp_path / "x.emfn")
    x = arr(2)
    with pytest.raises(ValueError, match=r"\[export_function\] Outputs can be either"):
        mx.export_function(p, lambda x: 3, x)
    with pytest.raises(ValueError, match=r"\[export_function\] Outputs can be either"):
        mx.export_function(p, lambda x: {"a": x}, x)
    with pytest.raises(ValueError, match=r"\[export_function\] Inputs can either"):
        mx.export_function(p, lambda x: x, 3)
    with pytest.raises(ValueError, match="only supported when exporting to a file"):
        mx.export_function(lambda *a: None, lambda x: x, x, metadata="m")
    with pytest.raises(ZeroDivisionError):
        mx.export_function(p, lambda x: 1 / 0, x)
    with pytest.raises(ValueError, match=r"\[eval\] Attempting to eval"):
        mx.export_function(p, lambda x: x * x.sum().item(), x)
    with pytest.raises(OSError, match="Failed to open"):
        mx.import_function(str(tmp_path / "missing.emfn"))
    with pytest.raises(ValueError, match="custom_function"):
        mx.export_function(p, mx.checkpoint(lambda x: x * 2), x)


def test_callback():
    events = []
    mx.export_function(events.append, lambda x, y: mx.exp(x) + y, arr(2, 3), y=arr(2, 3))
    types = [e["type"] for e in events]
    assert types == ["inputs", "keyword_inputs", "outputs"]
    assert events[0]["inputs"][0][1:] == ((2, 3), mx.float32)
    assert events[1]["keywords"][0][0] == "y"
    assert events[2]["outputs"][0][1:] == ((2, 3), mx.float32)


def test_damaged_files_never_crash(tmp_path):
    p = str(tmp_path / "d.emfn")
    mx.export_function(p, model, arr(3, 4), arr(3, 4))
    data = open(p, "rb").read()
    q = str(tmp_path / "bad.emfn")
    for trial in range(300):
        b = bytearray(data)
        kind = trial % 3
        if kind == 0:
            for _ in range(1 + trial % 5):
                b[rng.integers(len(b))] = rng.integers(256)
        elif kind == 1:
            b = b[: rng.integers(len(b))]
        else:
            b[rng.integers(8, 24)] ^= 1 << int(rng.integers(8))
        if bytes(b) == data:
            continue
        open(q, "wb").write(bytes(b))
        with pytest.raises(ValueError):
            mx.import_function(q)
    open(q, "wb").write(b"garbage")
    with pytest.raises(ValueError, match="bad header"):
        mx.import_function(q)
    open(q, "wb").write(b"")
    with pytest.raises(ValueError):
        mx.import_function(q)
