"""Streams and threads from Python: Stream/Device objects and MLX's functions,
stream= on ops, async_eval, kernel errors raised at synchronisation points,
the memory API (limits, MemoryError, bounded chains, the mx.metal forwards),
and many Python threads building and evaluating graphs at once."""
import os
import re
import threading

import numpy as np
import pytest

import ember.core as mx


def test_stream_objects():
    s = mx.default_stream(mx.cpu)
    assert re.fullmatch(r"Stream\(Device\(cpu, 0\), \d+\)", repr(s))
    assert s == mx.default_stream(mx.Device(mx.cpu)) and hash(s) == hash(mx.default_stream(mx.cpu))
    n = mx.new_stream(mx.cpu)
    assert n != s and n.device == mx.Device(mx.cpu)
    assert mx.new_thread_unsafe_stream(mx.cpu) not in (s, n)
    t = mx.new_thread_local_stream(mx.cpu)
    assert re.fullmatch(r"ThreadLocalStream\(Device\(cpu, 0\), \d+\)", repr(t))
    assert t.device == mx.Device(mx.cpu)
    assert mx.clear_streams() is None
    with pytest.raises(TypeError):
        mx.set_default_stream(t)
    with pytest.raises(TypeError):
        mx.default_stream("cpu")


def test_threads_have_their_own_default_stream():
    main = mx.default_stream(mx.cpu)
    seen = {}

    def run():
        seen["s"] = mx.default_stream(mx.cpu)
        seen["v"] = (mx.arange(10) * 2).sum().item()

    th = threading.Thread(target=run)
    th.start()
    th.join()
    assert seen["s"] != main and seen["v"] == 90
    assert mx.default_stream(mx.cpu) == main


def test_stream_context():
    main = mx.default_stream(mx.cpu)
    s, u = mx.new_stream(mx.cpu), mx.new_stream(mx.cpu)
    with mx.stream(s) as ctx:
        assert ctx is None
        assert mx.default_stream(mx.cpu) == s
        with mx.StreamContext(u):
            assert mx.default_stream(mx.cpu) == u
            x = mx.arange(5) + 1
        assert mx.default_stream(mx.cpu) == s
        with mx.stream(mx.cpu):
            assert mx.default_stream(mx.cpu) == s  # the cpu's default is s here
    assert mx.default_stream(mx.cpu) == main
    assert x.tolist() == [1, 2, 3, 4, 5]
    mx.set_default_stream(s)
    try:
        assert mx.default_stream(mx.cpu) == s
    finally:
        mx.set_default_stream(main)
    assert mx.default_stream(mx.cpu) == main


def test_stream_arguments():
    s = mx.new_stream(mx.cpu)
    t = mx.new_thread_local_stream(mx.cpu)
    a = mx.array([1.0, 2.0, 3.0])
    for where in (None, s, t, mx.cpu, mx.Device(mx.cpu)):
        assert mx.add(a, 1, stream=where).tolist() == [2.0, 3.0, 4.0]
        assert mx.sum(a, stream=where).item() == 6.0
        assert a.sum(stream=where).item() == 6.0
        assert mx.reshape(a, (3, 1), stream=where).shape == (3, 1)
        assert mx.astype(a, mx.int32, stream=where).dtype == mx.int32
        assert mx.zeros((2,), stream=where).tolist() == [0.0, 0.0]
    # the stream ends with the op: the next op runs on the default stream
    mx.exp(a, stream=s)
    assert mx.default_stream(mx.cpu) != s
    for bad in ("cpu", 0, [s]):
        with pytest.raises(TypeError):
            mx.add(a, 1, stream=bad)
    assert mx.default_stream(mx.cpu) != s


def test_gpu_unavailable():
    assert mx.is_available(mx.cpu) and not mx.is_available(mx.gpu)
    assert mx.device_count(mx.cpu) == 1 and mx.device_count(mx.gpu) == 0
    msg = "[default_stream] Cannot get gpu stream without gpu backend."
    for f in (lambda: mx.default_stream(mx.gpu), lambda: mx.add(1, 2, stream=mx.gpu),
              lambda: mx.synchronize(mx.gpu), lambda: mx.stream(mx.gpu),
              lambda: mx.ones((2,), stream=mx.Device(mx.gpu))):
        with pytest.raises(ValueError) as e:
            f()
        assert str(e.value) == msg
    with pytest.raises(ValueError, match=re.escape("[new_stream] Cannot make gpu stream without gpu backend.")):
        mx.new_stream(mx.gpu)
    with pytest.raises(ValueError, match=re.escape("[set_default_device] Cannot set gpu device")):
        mx.set_default_device(mx.gpu)
    assert mx.default_device() == mx.Device(mx.cpu)


def test_device_info():
    info = mx.device_info()
    assert set(info) >= {"architecture", "device_name"}
    assert mx.device_info(mx.cpu) == info and mx.device_info(mx.gpu) == {}


def test_async_eval():
    a = mx.arange(1 << 16, dtype=mx.float32)
    b = mx.sqrt(a * a)
    c = b.sum()
    assert mx.async_eval(b, [c, {"k": (c, 3)}], "ignored") is None
    assert c.item() == pytest.approx((1 << 16) * ((1 << 16) - 1) / 2, rel=1e-6)
    assert np.array_equal(np.asarray(b)[:4], [0, 1, 2, 3])
    # scheduled, then dropped before anyone reads them
    for _ in range(20):
        mx.async_eval(mx.exp(mx.arange(4096, dtype=mx.float32)))
    mx.synchronize()
    z = mx.array([1.0]) + 1
    mx.async_eval(z)
    z2 = z * 3  # built on a result still in flight
    assert z2.item() == 6.0


def test_worker_errors_reach_the_reader():
    s = mx.new_stream(mx.cpu)
    a = mx.arange(5)
    y = mx.take(a, mx.array([1, 7]), axis=0, stream=s)
    z = (y + 1) * 2  # on the default stream, after s's failed kernel
    mx.async_eval(z)  # scheduling never fails
    msg = "[gather] Index 7 is out of bounds for axis 0 with size 5."
    for read in (lambda: z.item(), lambda: y.tolist(), lambda: np.array(z), lambda: repr(y),
                 lambda: mx.eval(z), lambda: bool(y[0])):
        with pytest.raises(IndexError) as e:
            read()
        assert str(e.value) == msg
    mx.synchronize(s)  # read already: nothing new
    mx.synchronize()
    # a failure no one reads: the next synchronize of its stream raises it, once
    mx.async_eval(mx.take(a, mx.array([9]), axis=0, stream=s))
    with pytest.raises(IndexError, match="Index 9 is out of bounds"):
        mx.synchronize(s)
    mx.synchronize(s)
    assert mx.take(a, mx.array([4]), axis=0, stream=s).item() == 4


def test_memory_limit_raises_and_recovers():
    old = mx.set_memory_limit(8 << 20)
    try:
        assert mx.get_memory_limit() == 8 << 20
        big = mx.ones((16 << 20,))
        with pytest.raises(MemoryError, match=re.escape("[malloc]")):
            mx.eval(big)
        assert (mx.ones((1000,)) * 2).sum().item() == 2000
    finally:
        assert mx.set_memory_limit(old) == 8 << 20
    assert big.sum().item() == 16 << 20


def test_chain_memory_is_bounded():
    x = mx.zeros((1 << 18,))  # 1 MiB
    mx.eval(x)
    mx.clear_cache()
    mx.reset_peak_memory()
    base = mx.get_active_memory()
    for _ in range(1000):
        x = x + 1
    assert x[0].item() == 1000
    assert mx.get_peak_memory() - base <= 4 << 20
    m = mx.reshape(x, (512, 512))
    del x
    mx.reset_peak_memory()
    base = mx.get_active_memory()
    for _ in range(300):
        m = m.T + 1  # a strided input: no buffer reuse, still bounded
    assert m[0, 0].item() == 1300
    assert mx.get_peak_memory() - base <= 8 << 20


def test_buffer_cache():
    a = mx.ones((16 << 20,))  # 64 MiB
    mx.eval(a)
    mx.reset_peak_memory()
    base = mx.get_active_memory()
    for _ in range(10):
        v = (a * 2 + 1).sum().item()  # (not inside assert: pytest would keep a * 2 alive)
        assert v == 3 * (16 << 20)
    # one intermediate buffer at a time, reused from the cache each time
    assert mx.get_peak_memory() - base <= (64 << 20) + (1 << 20)
    assert mx.get_cache_memory() >= 64 << 20
    mx.clear_cache()
    assert mx.get_cache_memory() == 0


def test_metal_forwards(capfd):
    assert mx.metal.get_active_memory() == mx.get_active_memory()
    err = capfd.readouterr().err
    assert "mx.metal.get_active_memory is deprecated" in err
    assert mx.metal.set_cache_limit(mx.metal.set_cache_limit(1 << 30)) == 1 << 30
    assert mx.set_wired_limit(0) == 0 and mx.metal.is_available() is False
    assert mx.cuda.is_available() is False


def test_many_python_threads():
    """8 threads build and evaluate independent graphs concurrently; every
    result is exact."""
    n_ops = int(os.environ.get("EMBER_TEST_OPS", "20000"))
    errors = []

    def work(k):
        try:
            x = mx.full((64,), float(k))
            one = mx.array(1.0)
            expect = float(k)
            done = 0
            while done < n_ops:
                for _ in range(25):
                    x = (x + one) * 2 / 2 - one + one  # x + 1
                    done += 5
                expect += 25
                if x.sum().item() != 64 * expect:
                    errors.append((k, done))
                    return
        except Exception as e:  # pragma: no cover - reported below
            errors.append((k, repr(e)))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_threads_with_streams_and_async():
    results = [None] * 4
    s = [mx.new_stream(mx.cpu) for _ in range(2)]

    def work(k):
        acc = mx.zeros((256, 256))
        for i in range(50):
            with mx.stream(s[i % 2]):
                acc = acc + mx.ones((256, 256)) * k
            if i % 10 == 0:
                mx.async_eval(acc)
        results[k] = acc.sum().item()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [50.0 * k * 256 * 256 for k in range(4)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fork_after_threads_and_streams():
    """A child forked while the pool and stream workers exist (and work was in
    flight) starts its own workers and computes; the parent goes on."""
    a = mx.arange(1 << 20, dtype=mx.float32)
    assert mx.sum(a * 2).item() == pytest.approx((1 << 20) * ((1 << 20) - 1), rel=1e-6)
    s = mx.new_stream(mx.cpu)
    pending = mx.add(a, 1, stream=s)
    mx.async_eval(pending)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit status
        ok = False
        try:
            ok = (mx.sum(a + 1).item() == pytest.approx((1 << 20) * ((1 << 20) + 1) / 2, rel=1e-6)
                  and mx.add(a, 1, stream=s)[3].item() == 4 and pending[5].item() == 6)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert pending[7].item() == 8
