"""idx.py -- reads the IDX files of MNIST-like data sets (gzip-compressed or
not) into NumPy arrays, checking every header field against the data."""
import gzip
import os

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
PACKAGE = "dataset-fashion-mnist"

# IDX type codes -> NumPy dtypes (big-endian on disk).
_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    pass


def parse_idx(raw: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array stored in the bytes of one IDX file."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IDXError(f"{name}: not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in _TYPES:
        raise IDXError(f"{name}: unknown IDX element type 0x{code:02x}")
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise IDXError(f"{name}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[code])
    want = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = memoryview(raw)[4 + 4 * ndim:]
    if len(body) != want:
        raise IDXError(f"{name}: header says {shape} ({want} bytes of data) but the file has {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str) -> np.ndarray:
    """Reads an IDX file; gzip is recognised by its magic bytes, not the name."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise IDXError(f"{path}: broken gzip data ({e})") from None
    return parse_idx(raw, path)


def load_fashion_mnist(directory: str = FASHION_MNIST_DIR):
    """(train_images, train_labels, test_images, test_labels): images uint8
    (n, 28, 28), labels uint8 (n,) in 0..9. Exits with a message naming the
    Debian package when the files are missing."""
    out = []
    for split in ("train", "t10k"):
        images_path = os.path.join(directory, f"{split}-images-idx3-ubyte.gz")
        labels_path = os.path.join(directory, f"{split}-labels-idx1-ubyte.gz")
        for p in (images_path, labels_path):
            if not os.path.exists(p):
                raise SystemExit(f"Fashion-MNIST not found: {p} is missing.\n"
                                 f"Install it with: sudo apt-get install {PACKAGE}  "
                                 f"(or run `make demo`, which does), or pass --data DIR.")
        images, labels = read_idx(images_path), read_idx(labels_path)
        if images.ndim != 3 or images.dtype != np.uint8 or labels.ndim != 1 or labels.dtype != np.uint8:
            raise IDXError(f"{split}: expected uint8 images (n, rows, cols) and uint8 labels (n,), got "
                           f"{images.dtype}{images.shape} and {labels.dtype}{labels.shape}")
        if len(images) != len(labels):
            raise IDXError(f"{split}: {len(images)} images but {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise IDXError(f"{split}: label {labels.max()} is not one of the 10 classes")
        out += [images, labels]
    return tuple(out)
