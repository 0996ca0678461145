"""Devices and streams: everything runs on the CPU; the GPU is reported
unavailable and choosing it is a ValueError, as MLX does without a GPU."""
import pytest

import ember.core as mx


def test_device_objects():
    assert mx.default_device() == mx.Device(mx.cpu)
    assert repr(mx.default_device()) == "Device(cpu, 0)"
    assert mx.Device(mx.cpu) == mx.cpu
    assert mx.Device(mx.cpu).type == mx.cpu
    assert mx.Device(mx.gpu, 0) != mx.Device(mx.cpu, 0)
    assert repr(mx.cpu) == "<DeviceType.cpu: 0>" and mx.DeviceType.cpu is mx.cpu
    with pytest.raises(TypeError):
        mx.Device("cpu")


def test_streams():
    s = mx.default_stream(mx.cpu)
    assert repr(s) == "Stream(Device(cpu, 0), 0)"
    assert s.device == mx.Device(mx.cpu)
    assert mx.default_stream(mx.default_device()) == s
    n = mx.new_stream(mx.cpu)
    assert n != s and n.device == mx.Device(mx.cpu)
    with mx.stream(mx.cpu):
        assert mx.add(1, 2).item() == 3
    with mx.StreamContext(n):
        pass
    mx.synchronize()
    mx.synchronize(s)
    mx.set_default_device(mx.cpu)
    mx.set_default_stream(s)


def test_gpu_unavailable():
    assert mx.is_available(mx.cpu) and not mx.is_available(mx.gpu)
    assert mx.device_count(mx.cpu) == 1 and mx.device_count(mx.gpu) == 0
    assert mx.metal.is_available() is False and mx.cuda.is_available() is False
    with pytest.raises(ValueError, match="gpu"):
        mx.default_stream(mx.gpu)
    with pytest.raises(ValueError):
        mx.set_default_device(mx.gpu)
    with pytest.raises(ValueError):
        mx.stream(mx.gpu)


def test_memory_functions():
    mx.reset_peak_memory()
    a = mx.ones((1000,))
    mx.eval(a)
    assert mx.get_active_memory() >= 0 and mx.get_peak_memory() >= 0
    assert mx.get_cache_memory() >= 0
    old = mx.set_cache_limit(1 << 20)
    mx.set_cache_limit(old)
    old = mx.set_memory_limit(1 << 40)
    mx.set_memory_limit(old)
    mx.clear_cache()
    with pytest.raises(TypeError):
        mx.set_cache_limit(-1)


def test_eval_trees():
    a, b = mx.array([1]) + 1, mx.array([2]) + 1
    assert mx.eval([a, {"x": b, "y": (3, None)}], "ignored", 7) is None
    assert mx.eval() is None
    assert a.tolist() == [2] and b.tolist() == [3]


def test_printoptions():
    assert mx.get_printoptions().precision == -1
    with mx.printoptions(precision=2) as ctx:
        assert mx.get_printoptions().precision == 2
        assert repr(mx.array([1.23456])) == "array([1.23], dtype=float32)"
    assert mx.get_printoptions().precision == -1
    mx.set_printoptions(precision=3)
    try:
        assert mx.get_printoptions().precision == 3
    finally:
        mx.set_printoptions(precision=-1)
    p = mx.PrintOptions(precision=4)
    assert p.precision == 4
    p.precision = 5
    assert p.precision == 5
