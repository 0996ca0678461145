"""ember.nn's sharded layers (mlx.nn.layers.distributed): with the one-process
group each one computes what the unsharded layer does (values against the
layer and NumPy, gradients through sum_gradients, reprs and errors as MLX
0.32 prints them); with stand-in groups of 2 and 4 members the parameters
each rank keeps are checked against NumPy slices of the whole."""
import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn
from ember.nn.layers import distributed as dist
from ember.utils import tree_flatten


class FakeGroup(mx.distributed.Group):
    """A group of `n` members seen from rank `r`: only size() and rank() are
    used by the sharding code (no collective is called in these tests)."""

    def __new__(cls, n, r):
        g = super().__new__(cls, _internal=True)
        g.n, g.r = n, r
        return g

    def size(self):
        return self.n

    def rank(self):
        return self.r


def npa(x):
    return np.array(x)


def test_linear_layers_with_one_process_match_linear():
    mx.random.seed(3)
    lin = nn.Linear(6, 4)
    x = mx.random.normal((3, 6))
    want = npa(x) @ npa(lin.weight).T + npa(lin.bias)
    for cls in (nn.AllToShardedLinear, nn.ShardedToAllLinear):
        for seg in (1, 2, [1, 3]):
            layer = cls.from_linear(lin, segments=seg)
            np.testing.assert_allclose(npa(layer(x)), want, rtol=1e-5, atol=1e-6)
            np.testing.assert_array_equal(npa(layer.weight), npa(lin.weight))
    assert repr(nn.AllToShardedLinear.from_linear(lin)) == \
        "AllToShardedLinear(input_dims=6, output_dims=4, bias=True)"
    assert repr(nn.ShardedToAllLinear(6, 4, bias=False)) == \
        "ShardedToAllLinear(input_dims=6, output_dims=4, bias=False)"
    nb = nn.Linear(6, 4, bias=False)
    layer = dist.shard_linear(nb, "all-to-sharded")
    assert type(layer) is nn.AllToShardedLinear and "bias" not in layer
    np.testing.assert_allclose(npa(layer(x)), npa(x) @ npa(nb.weight).T, rtol=1e-5, atol=1e-6)


def test_gradients_flow_through_sum_gradients():
    mx.random.seed(4)
    lin = nn.Linear(5, 3)
    layer = nn.AllToShardedLinear.from_linear(lin)
    x = mx.random.normal((2, 5))
    g = mx.grad(lambda v: mx.sum(layer(v) ** 2))(x)
    want = 2 * (npa(x) @ npa(lin.weight).T + npa(lin.bias)) @ npa(lin.weight)
    np.testing.assert_allclose(npa(g), want, rtol=1e-5, atol=1e-5)
    f = dist.sum_gradients(mx.distributed.init())
    assert f is dist.sum_gradients(mx.distributed.init())  # cached per group
    np.testing.assert_array_equal(npa(f(mx.array([1.0, 2.0]))), [1.0, 2.0])


def test_quantized_sharded_layers_match_quantized_linear():
    mx.random.seed(5)
    ql = nn.QuantizedLinear(128, 32)
    x = mx.random.normal((2, 128))
    want = npa(ql(x))
    a = dist.shard_linear(ql, "all-to-sharded")
    b = dist.shard_linear(ql, "sharded-to-all")
    assert type(a) is nn.QuantizedAllToShardedLinear and type(b) is nn.QuantizedShardedToAllLinear
    for layer in (a, b):
        np.testing.assert_allclose(npa(layer(x)), want, rtol=1e-5, atol=1e-5)
        assert layer.trainable_parameters() == {}  # frozen, and stays so (as MLX)
        assert layer.unfreeze().trainable_parameters() == {}
    assert repr(b) == ("QuantizedShardedToAllLinear(input_dims=128, output_dims=32, bias=True, "
                       "group_size=64, bits=4, mode=affine)")
    assert repr(nn.QuantizedAllToShardedLinear(64, 32)) == (
        "QuantizedAllToShardedLinear(input_dims=64, output_dims=32, bias=True, "
        "group_size=64, bits=4, mode=affine)")


@pytest.mark.parametrize("n", [2, 4])
def test_each_rank_keeps_its_slice(n):
    mx.random.seed(6)
    lin = nn.Linear(8, 16)
    w, b = npa(lin.weight), npa(lin.bias)
    rows = [nn.AllToShardedLinear.from_linear(lin, group=FakeGroup(n, r)) for r in range(n)]
    cols = [nn.ShardedToAllLinear.from_linear(lin, group=FakeGroup(n, r)) for r in range(n)]
    np.testing.assert_array_equal(np.concatenate([npa(l.weight) for l in rows], 0), w)
    np.testing.assert_array_equal(np.concatenate([npa(l.bias) for l in rows], 0), b)
    np.testing.assert_array_equal(np.concatenate([npa(l.weight) for l in cols], 1), w)
    for l in cols:
        np.testing.assert_array_equal(npa(l.bias), b)  # the bias of the summed output stays whole
    assert repr(rows[0]) == "AllToShardedLinear(input_dims=8, output_dims=16, bias=True)"
    assert repr(cols[1]) == "ShardedToAllLinear(input_dims=8, output_dims=16, bias=True)"
    # the part of a replicated input this rank computes
    x = mx.random.normal((2, 8))
    full = npa(x) @ w.T + b
    np.testing.assert_allclose(np.concatenate([npa(l(x)) for l in rows], 1), full,
                               rtol=1e-5, atol=1e-5)
    # fused weights: each segment is split, and this rank's parts concatenated
    for segments, bounds in ((2, [0, 8, 16]), ([4], [0, 4, 16])):
        parts = [nn.AllToShardedLinear.from_linear(lin, segments=segments, group=FakeGroup(2, r))
                 for r in range(2)]
        for r, part in enumerate(parts):
            want = np.concatenate([np.split(w[lo:hi], 2)[r] for lo, hi in zip(bounds, bounds[1:])])
            np.testing.assert_array_equal(npa(part.weight), want)


def test_quantized_and_inplace_sharding_with_two_members():
    mx.random.seed(7)
    ql = nn.QuantizedLinear(128, 8)
    ranks = [dist.shard_linear(ql, "sharded-to-all", group=FakeGroup(2, r)) for r in range(2)]
    for name in ("weight", "scales", "biases"):
        np.testing.assert_array_equal(
            np.concatenate([npa(l[name]) for l in ranks], 1), npa(ql[name]))
    assert repr(ranks[0]).startswith("QuantizedShardedToAllLinear(input_dims=128, output_dims=8,")
    m = nn.Sequential(nn.Linear(4, 6), nn.Linear(6, 2))
    before = dict(tree_flatten(m.parameters()))
    dist.shard_inplace(m, "all-to-sharded", group=FakeGroup(2, 1))
    after = dict(tree_flatten(m.parameters()))
    for k, v in before.items():
        np.testing.assert_array_equal(npa(after[k]), np.split(npa(v), 2, axis=0)[1])
    m = nn.Linear(4, 6)
    w = npa(m.weight)
    dist.shard_inplace(m, lambda path, p: (1, 1) if path == "weight" else None,
                       group=FakeGroup(2, 0))
    np.testing.assert_array_equal(npa(m.weight), w[:, :2])
    assert m.bias.shape == (6,)


def test_fully_shard():
    lin = nn.Linear(4, 2)
    assert nn.fully_shard(lin) is lin  # one process: nothing to shard
    assert nn.fully_shard(lin, compute_dtype=mx.float16) is lin
    fs = nn.FullyShardedModule(nn.Linear(4, 2))
    assert list(fs.parameters().keys()) == ["module"]
    assert repr(fs) == ("FullyShardedModule(num_sharded_params=2\n"
                        "  (module): Linear(input_dims=4, output_dims=2, bias=True)\n)")
    x = mx.ones((3, 4))
    want = npa(x) @ npa(fs.module.weight).T + npa(fs.module.bias)
    np.testing.assert_allclose(npa(fs(x)), want, rtol=1e-6)
    half = nn.FullyShardedModule(nn.Linear(4, 2), compute_dtype=mx.float16)
    assert half(x.astype(mx.float16)).dtype == mx.float16
    assert half.module.weight.dtype == mx.float32  # the stored shards keep their dtype
    loss = lambda v: mx.sum(fs(v))
    _, grads = nn.value_and_grad(fs, lambda v: mx.sum(fs(v)))(x)
    np.testing.assert_allclose(npa(grads["module"]["weight"]), np.full((2, 4), 3.0))
    assert loss(x).item() == pytest.approx(float(want.sum()), rel=1e-5)
    two = nn.FullyShardedModule(nn.Linear(4, 6), group=FakeGroup(2, 1))
    assert two.module.weight.shape == (3, 4) and two.module.bias.shape == (3,)
    with pytest.raises(ValueError, match="Cannot shard the parameter"):
        nn.FullyShardedModule(nn.Linear(4, 3), group=FakeGroup(2, 0))


def test_clip_grad_norm_sharded():
    grads = {"a": mx.array([3.0, 4.0]), "b": [mx.array([12.0])]}
    clipped, norm = nn.utils.clip_grad_norm_sharded(grads, 1.0)
    assert norm.item() == pytest.approx(13.0)
    np.testing.assert_allclose(npa(clipped["a"]), [3 / 13, 4 / 13], rtol=1e-5)
    np.testing.assert_allclose(npa(clipped["b"][0]), [12 / 13], rtol=1e-5)
    same, _ = nn.utils.clip_grad_norm_sharded(grads, 100.0)
    np.testing.assert_array_equal(npa(same["a"]), [3.0, 4.0])


def test_errors():
    lin = nn.Linear(6, 4)
    msg = "Sharding type sharding='bogus' not supported, choose one of 'all-to-sharded' or 'sharded-to-all'"
    with pytest.raises(ValueError, match=msg):
        dist.shard_linear(lin, "bogus")
    with pytest.raises(ValueError, match="Sharding type sharding='x' not supported"):
        dist.shard_inplace(lin, "x")
    with pytest.raises(ValueError, match="Cannot shard a Conv1d"):
        dist.shard_linear(nn.Conv1d(2, 2, 3), "all-to-sharded")
    with pytest.raises(ValueError, match="does not result in sub arrays with equal size"):
        nn.AllToShardedLinear.from_linear(lin, segments=3)
    with pytest.raises(ValueError, match="output dimension of size 5 across a group of size 2"):
        nn.AllToShardedLinear(4, 5, group=FakeGroup(2, 0))
    with pytest.raises(ValueError, match="input dimension of size 5 across a group of size 2"):
        nn.ShardedToAllLinear(5, 4, group=FakeGroup(2, 0))
