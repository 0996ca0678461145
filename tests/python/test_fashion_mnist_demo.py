"""The demo's IDX reader (examples/idx.py) on good and malformed files, and
short runs of examples/fashion_mnist.py (ember.nn models, compiled and eager
steps; the same file under MLX when /tmp/oracle has it) on small generated
data sets (CI needs no download)."""
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
    import fashion_mnist
    write_set(str(tmp_path), 400, 100)
    fashion_mnist.main(["--model", "cnn", "--epochs-cnn", "2", "--batch", "16", "--data", str(tmp_path),
                        "--plot", str(tmp_path / "plot.png")])
    out = capsys.readouterr().out
    acc = float(out.split("test accuracy ")[-1].split("%")[0])
    assert "CNN conv16-conv32-fc128-10" in out and acc >= 80.0, out


def test_demo_is_written_with_ember_nn():
    import ember.core as mx
    import ember.nn as nn
    import fashion_mnist
    assert fashion_mnist.FRAMEWORK == "ember" and fashion_mnist.mx is mx
    mlp, cnn = fashion_mnist.MLP(), fashion_mnist.CNN()
    assert isinstance(mlp, nn.Module) and isinstance(cnn, nn.Module)
    assert [tuple(l.weight.shape) for l in mlp.layers] == [(512, 784), (512, 512), (10, 512)]
    assert isinstance(cnn.conv1, nn.Conv2d) and isinstance(cnn.pool, nn.MaxPool2d)
    x = mx.array(np.random.default_rng(0).random((3, 784), dtype=np.float32))
    assert mlp(x).shape == (3, 10) and cnn(x).shape == (3, 10)


def test_compiled_and_eager_steps_agree(tmp_path, capsys):
    """--no-compile gives the same losses as the compiled step (same seed)."""
    import fashion_mnist
    write_set(str(tmp_path), 256, 64)
    losses = []
    for extra in ([], ["--no-compile"]):
        fashion_mnist.main(["--model", "mlp", "--epochs-mlp", "1", "--batch", "32", "--data", str(tmp_path),
                            "--plot", str(tmp_path / "plot.png")] + extra)
        out = capsys.readouterr().out
        losses.append(float(out.split("train loss ")[1].split(",")[0]))
    assert abs(losses[0] - losses[1]) < 1e-3, losses


def test_framework_flag_is_checked(tmp_path, capsys):
    import fashion_mnist
    with pytest.raises(SystemExit):
        fashion_mnist.main(["--framework", "mlx", "--data", str(tmp_path)])
    assert "chosen on the command line" in capsys.readouterr().err


ORACLE = "/tmp/oracle/bin/python"


@pytest.mark.skipif(not os.path.exists(ORACLE), reason="no MLX interpreter at /tmp/oracle")
def test_same_file_runs_under_mlx(tmp_path):
    """The demo is an MLX program: MLX's own interpreter runs the file unchanged."""
    import subprocess
    if subprocess.run([ORACLE, "-c", "import mlx.nn"], capture_output=True).returncode != 0:
        pytest.skip("mlx is not importable from /tmp/oracle")
    write_set(str(tmp_path), 128, 64)
    r = subprocess.run([ORACLE, os.path.join(EXAMPLES, "fashion_mnist.py"), "--framework", "mlx",
                        "--model", "both", "--epochs-mlp", "1", "--epochs-cnn", "1", "--batch", "32",
                        "--data", str(tmp_path), "--plot", str(tmp_path / "plot.png")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode in (0, 1), r.stderr
    assert "mlx " in r.stdout and "running on the" in r.stdout and "summary:" in r.stdout, r.stdout + r.stderr
