"""Reference counting: creating and dropping many arrays keeps memory flat."""
import gc
import os

import ember.core as mx


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def churn(n):
    x = mx.array([1.0, 2.0, 3.0])
    for i in range(n):
        a = mx.array([1.0, 2.0, 3.0])
        b = a + x
        c = b + 1.5
        if i % 1000 == 0:
            mx.eval(c)
            c.item() if c.size == 1 else c.tolist()


def test_million_arrays_keep_rss_flat():
    churn(20_000)  # warm up allocator caches
    gc.collect()
    before = rss_bytes()
    churn(1_000_000 // 3)  # three arrays per iteration: a million in all
    gc.collect()
    after = rss_bytes()
    assert after - before < 16 * 1024 * 1024, (before, after)


def test_conversions_do_not_leak():
    import numpy as np
    x = np.arange(100, dtype=np.float32)
    for _ in range(2000):
        a = mx.array(x)
        np.asarray(a)
        memoryview(a).tobytes()
        a.tolist()
        mx.array([[1, 2], [3, 4]]).tolist()
    gc.collect()
    before = rss_bytes()
    for _ in range(20_000):
        a = mx.array(x)
        np.asarray(a)
        a.tolist()
        mx.array([[1, 2], [3, 4]])
        np.from_dlpack(a)
    gc.collect()
    assert rss_bytes() - before < 16 * 1024 * 1024
