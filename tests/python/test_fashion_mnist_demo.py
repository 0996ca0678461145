"""The demo's IDX reader (examples/idx.py) on good and malformed files, and
one short run of examples/fashion_mnist.py on a small generated data set
(CI needs no download)."""
import gzip
import os
import struct
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
sys.path.insert(0, os.path.abspath(EXAMPLES))
import idx  # noqa: E402


def idx_bytes(a, code=0x08):
    return bytes([0, 0, code, a.ndim]) + b"".join(struct.pack(">I", d) for d in a.shape) + a.tobytes()


def write_set(directory, n_train=600, n_test=200, seed=0):
    r = np.random.default_rng(seed)
    protos = (r.random((10, 28, 28)) < 0.3) * 200
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = r.integers(0, 10, n).astype(np.uint8)
        images = np.clip(protos[labels] + r.uniform(-60, 60, (n, 28, 28)), 0, 255).astype(np.uint8)
        with gzip.open(os.path.join(directory, f"{split}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(idx_bytes(images))
        with gzip.open(os.path.join(directory, f"{split}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(idx_bytes(labels))


def test_parse_idx_roundtrip():
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(idx.parse_idx(idx_bytes(a)), a)
    b = np.array([1.5, -2.0], dtype=">f4")
    got = idx.parse_idx(idx_bytes(b, 0x0D))
    assert got.dtype == np.float32 and got.tolist() == [1.5, -2.0]


@pytest.mark.parametrize("raw,message", [
    (b"", "bad magic"),
    (b"\x01\x00\x08\x01", "bad magic"),
    (b"\x00\x00\x07\x01\x00\x00\x00\x01", "unknown IDX element type"),
    (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated IDX header"),
    (b"\x00\x00\x08\x00", "truncated IDX header"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", r"header says \(3,\)"),
    (b"\x00\x00\x08\x01\x00\x00\x00\x01\x01\x02", "the file has 2"),
])
def test_parse_idx_rejects_malformed(raw, message):
    with pytest.raises(idx.IDXError, match=message):
        idx.parse_idx(raw)


def test_read_idx_gzip_and_broken_gzip(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(a)))
    (tmp_path / "a.raw").write_bytes(idx_bytes(a))
    np.testing.assert_array_equal(idx.read_idx(str(tmp_path / "a.gz")), a)
    np.testing.assert_array_equal(idx.read_idx(str(tmp_path / "a.raw")), a)
    (tmp_path / "b.gz").write_bytes(gzip.compress(idx_bytes(a))[:-6])
    with pytest.raises(idx.IDXError, match="broken gzip"):
        idx.read_idx(str(tmp_path / "b.gz"))


def test_load_checks_consistency(tmp_path):
    write_set(str(tmp_path), 50, 20)
    tx, ty, vx, vy = idx.load_fashion_mnist(str(tmp_path))
    assert tx.shape == (50, 28, 28) and ty.shape == (50,) and vx.shape == (20, 28, 28)
    assert tx.dtype == np.uint8 and vy.dtype == np.uint8
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(idx_bytes(np.full(19, 3, np.uint8)))
    with pytest.raises(idx.IDXError, match="20 images but 19 labels"):
        idx.load_fashion_mnist(str(tmp_path))
    with gzip.open(tmp_path / "t10k-labels-idx1-ubyte.gz", "wb") as f:
        f.write(idx_bytes(np.full(20, 10, np.uint8)))
    with pytest.raises(idx.IDXError, match="label 10 is not one of the 10 classes"):
        idx.load_fashion_mnist(str(tmp_path))


def test_missing_data_names_the_package(tmp_path):
    with pytest.raises(SystemExit, match="apt-get install dataset-fashion-mnist"):
        idx.load_fashion_mnist(str(tmp_path))


def test_demo_trains_on_a_small_set(tmp_path, capsys):
    import fashion_mnist
    write_set(str(tmp_path))
    plot = tmp_path / "plot.png"
    rc = fashion_mnist.main(["--model", "mlp", "--epochs-mlp", "2", "--batch", "32", "--data", str(tmp_path),
                             "--plot", str(plot)])
    out = capsys.readouterr().out
    assert "running on the CPU" in out or "running on the GPU" in out
    assert "epoch 2: train loss" in out
    acc = float(out.split("test accuracy ")[-1].split("%")[0])
    assert acc >= 90.0 and rc == 0, out
    try:
        import matplotlib  # noqa: F401
        assert plot.stat().st_size > 0
    except ImportError:
        assert "no plot" in out


def test_demo_cnn_on_a_small_set(tmp_path, capsys):
    import ember.core as mx
    import fashion_mnist
    if not hasattr(mx, "conv2d"):
        pytest.skip("ember.core has no conv2d")
    write_set(str(tmp_path), 400, 100)
    fashion_mnist.main(["--model", "cnn", "--epochs-cnn", "2", "--batch", "16", "--data", str(tmp_path),
                        "--plot", str(tmp_path / "plot.png")])
    out = capsys.readouterr().out
    acc = float(out.split("test accuracy ")[-1].split("%")[0])
    assert "CNN conv16-conv32-fc128-10" in out and acc >= 80.0, out


def test_max_pool2_matches_numpy():
    import ember.core as mx
    import fashion_mnist
    x = np.random.default_rng(1).standard_normal((2, 4, 6, 3)).astype(np.float32)
    want = x.reshape(2, 2, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(np.array(fashion_mnist.max_pool2(mx.array(x))), want)
