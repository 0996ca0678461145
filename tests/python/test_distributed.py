"""mlx.core.distributed for one process (no back-end): MLX's singleton-group
semantics and errors, and nn.average_gradients."""
import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn

D = mx.distributed


def test_init_and_group():
    assert D.is_available() is False and D.is_available("mpi") is False
    g = D.init()
    assert g.rank() == 0 and g.size() == 1 and D.init() is g
    assert D.init(backend="ring").size() == 1
    with pytest.raises(RuntimeError, match=r"\[distributed\] Couldn't initialize any backend"):
        D.init(strict=True)
    with pytest.raises(RuntimeError):
        D.init(strict=True, backend="mpi")
    with pytest.raises(ValueError, match="The only valid values for backend are"):
        D.init(backend="foo")
    with pytest.raises(ValueError, match="'foo' was provided"):
        D.is_available("foo")
    with pytest.raises(RuntimeError, match="Cannot split the distributed group further."):
        g.split(0)
    with pytest.raises(RuntimeError, match="Cannot split"):
        g.split(1, key=0)
    with pytest.raises(TypeError, match="no constructor defined"):
        D.Group()
    import sys
    assert sys.modules["ember.core.distributed"] is D


@pytest.mark.parametrize("name", ["all_sum", "all_max", "all_min", "all_gather", "sum_scatter"])
def test_collectives_identity(name):
    f = getattr(D, name)
    for x in (mx.arange(6).reshape(2, 3), mx.array(3.0), mx.ones((0, 2), dtype=mx.float16)):
        for r in (f(x), f(x, group=D.init()), f(x, stream=mx.cpu)):
            assert r.dtype == x.dtype and r.shape == x.shape
            np.testing.assert_array_equal(np.array(r), np.array(x))
    np.testing.assert_array_equal(np.array(f([1, 2])), [1, 2])
    with pytest.raises(TypeError):
        f(mx.ones(2), group=3)


def test_collectives_transform():
    g = mx.grad(lambda x: D.all_sum(x * x).sum())(mx.array([1.0, 2.0]))
    np.testing.assert_allclose(np.array(g), [2.0, 4.0])
    np.testing.assert_array_equal(np.array(mx.vmap(D.all_sum)(mx.array([1.0, 2.0]))), [1.0, 2.0])


def test_point_to_point_errors():
    x = mx.ones((2, 3))
    with pytest.raises(ValueError, match="Cannot send to a singleton group"):
        D.send(x, 0)
    with pytest.raises(ValueError, match="Cannot recv from a singleton group"):
        D.recv((2, 3), mx.float32, 0)
    with pytest.raises(ValueError, match="Cannot recv from a singleton group"):
        D.recv_like(x, 0)


def test_average_gradients():
    grads = {"w": mx.ones((2, 2)), "b": [mx.zeros(3)]}
    out = nn.average_gradients(grads)
    assert out is grads
    assert nn.average_gradients(grads, group=D.init(), all_reduce_size=0) is grads
