"""ember.nn.Module and nn.value_and_grad: parameter trees, freezing, modes,
updates, weights I/O, repr; expected texts are what mlx.nn 0.32 gives."""
import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn
from ember.utils import tree_flatten, tree_map


def npa(x):
    return np.array(x)


def small_mlp():
    return nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.blocks = {"a": nn.Linear(2, 2, bias=False), "b": [nn.ReLU(), nn.Linear(2, 1)]}
        self.scale = mx.array(2.0)
        self.stuff = [mx.zeros((1,)), mx.ones((2,))]
        self._private = mx.ones((3,))
        self.count = 3  # not a member

    def __call__(self, x):
        y = self.blocks["a"](self.lin(x)) * self.scale
        for layer in self.blocks["b"]:
            y = layer(y)
        return y


def test_module_is_dict_and_attributes():
    m = Custom()
    assert isinstance(m, dict) and m.state is m
    assert set(m.keys()) == {"lin", "blocks", "scale", "stuff", "_private"}
    assert m.count == 3 and "count" not in m
    assert m.training is True
    with pytest.raises(AttributeError, match="'Custom' object has no attribute 'nothing'"):
        m.nothing
    m.scale = mx.array(3.0)
    assert m["scale"].item() == 3.0
    del m.scale
    assert "scale" not in m
    with pytest.raises(TypeError):
        hash(m)


def test_parameters_and_children():
    m = Custom()
    flat = dict(tree_flatten(m.parameters()))
    assert sorted(flat) == sorted([
        "lin.weight", "lin.bias", "blocks.a.weight", "blocks.b.1.weight", "blocks.b.1.bias",
        "scale", "stuff.0", "stuff.1"])
    assert flat["lin.weight"] is m.lin.weight
    ch = m.children()
    assert ch["lin"] is m.lin and ch["blocks"]["a"] is m.blocks["a"]
    assert ch["blocks"]["b"][0] is m.blocks["b"][0]
    leaves = tree_flatten(m.leaf_modules(), is_leaf=nn.Module.is_module)
    assert [k for k, _ in leaves] == ["lin", "blocks.a", "blocks.b.0", "blocks.b.1"]
    names = [k for k, _ in m.named_modules()]
    assert names == ["", "stuff", "blocks", "blocks.b", "blocks.b.1", "blocks.b.0",
                     "blocks.a", "lin"][0:1] + names[1:]  # root first
    assert sorted(names) == sorted(["", "lin", "blocks.a", "blocks.b.0", "blocks.b.1"])
    assert len(m.modules()) == 5 and m.modules()[0] is m


def test_named_modules_order_matches_mlx():
    m = small_mlp()
    assert [k for k, _ in m.named_modules()] == \
        ["", "layers.1", "layers.1.layers.1", "layers.1.layers.0", "layers.0"]


def test_freeze_unfreeze():
    m = small_mlp()
    m.freeze()
    assert tree_flatten(m.trainable_parameters()) == []
    assert m.trainable_parameters() == {"layers": [{}, {"layers": [{}, {}]}]}
    m.unfreeze(keys="bias")
    assert [k for k, _ in tree_flatten(m.trainable_parameters())] == \
        ["layers.0.bias", "layers.1.layers.1.bias"]
    m.unfreeze()
    assert len(tree_flatten(m.trainable_parameters())) == 4
    m.layers[0].freeze(keys=["weight"])
    assert m.layers[0]._no_grad == {"weight"}
    m.freeze(recurse=False)  # the Sequential has no own parameters
    assert len(tree_flatten(m.trainable_parameters())) == 3
    with pytest.raises(KeyError, match="Module doesn't contain member zz."):
        m.layers[0].freeze(keys=["zz"], strict=True)
    with pytest.raises(KeyError, match="Module doesn't contain member zz."):
        m.layers[0].unfreeze(keys="zz", strict=True)
    c = Custom()
    c.freeze(keys="stuff", recurse=False)
    keys = [k for k, _ in tree_flatten(c.trainable_parameters())]
    assert "stuff.0" not in keys and "scale" in keys


def test_train_eval():
    m = Custom()
    assert m.eval() is m
    assert all(not mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m.blocks["a"].train(False)
    assert m.training and not m.blocks["a"].training


def test_update_and_errors():
    lin = nn.Linear(2, 3)
    w = mx.zeros((3, 2))
    assert lin.update({"weight": w}) is lin and lin.weight is w
    with pytest.raises(ValueError, match='Module does not have parameter named "zz".'):
        lin.update({"zz": 1})
    with pytest.raises(ValueError, match="Received invalid type: int."):
        lin.update({"weight": 1})
    lin.update({"zz": 1}, strict=False)
    m = small_mlp()
    new = nn.Linear(2, 3)
    m.update_modules({"layers": [new, {}]})
    assert m.layers[0] is new
    with pytest.raises(ValueError, match='Module does not have sub-module named "zz".'):
        m.update_modules({"zz": 1})
    with pytest.raises(ValueError, match="Received invalid type: int."):
        lin.update_modules({"weight": 1})
    c = Custom()
    c.update({"stuff": [mx.full((1,), 5.0)]})
    assert c.stuff[0].item() == 5.0


def test_apply_and_set_dtype():
    m = Custom()
    m.apply(lambda p: p * 0)
    assert all(float(mx.abs(v).sum().item()) == 0 for _, v in tree_flatten(m.parameters()))
    assert m._private.sum().item() == 3  # private members are not parameters
    m.set_dtype(mx.float16)
    assert {v.dtype for _, v in tree_flatten(m.parameters())} == {mx.float16}
    m.apply(lambda p: p + 1, filter_fn=lambda mod, k, v: k in ("lin", "bias"))
    assert m.lin.bias.dtype == mx.float16 and m.lin.bias.sum().item() == 2
    c = Custom()
    c.stuff = [mx.zeros((1,), dtype=mx.int32)]
    c.set_dtype(mx.bfloat16)
    assert c.stuff[0].dtype == mx.int32 and c.lin.weight.dtype == mx.bfloat16
    c.set_dtype(mx.float32, predicate=None)
    assert c.stuff[0].dtype == mx.float32


def test_filter_and_map():
    m = Custom()
    shapes = m.filter_and_map(nn.Module.valid_parameter_filter, map_fn=lambda x: x.shape)
    assert shapes["lin"] == {"weight": (2, 2), "bias": (2,)}
    assert shapes["stuff"] == [(1,), (2,)]


def test_repr():
    m = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1, bias=False))
    assert repr(m) == ("Sequential(\n"
                       "  (layers.0): Linear(input_dims=2, output_dims=3, bias=True)\n"
                       "  (layers.1): ReLU()\n"
                       "  (layers.2): Linear(input_dims=3, output_dims=1, bias=False)\n"
                       ")")
    assert repr(nn.Module()) == "Module()"
    nested = repr(small_mlp())
    assert "  (layers.1): Sequential(\n    (layers.0): ReLU()\n" in nested


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_save_load_round_trip(tmp_path, ext):
    m = Custom()
    path = str(tmp_path / f"w.{ext}")
    m.save_weights(path)
    m2 = Custom()
    m2.load_weights(path)
    for (k1, v1), (k2, v2) in zip(tree_flatten(m.parameters()), tree_flatten(m2.parameters())):
        assert k1 == k2
        np.testing.assert_array_equal(npa(v1), npa(v2))
    x = mx.array([[0.5, -1.0]])
    np.testing.assert_allclose(npa(m(x)), npa(m2(x)), rtol=1e-6)


def test_load_weights_errors(tmp_path):
    lin = nn.Linear(2, 3)
    with pytest.raises(ValueError, match="Unsupported file extension for .*x.txt"):
        lin.save_weights(str(tmp_path / "x.txt"))
    with pytest.raises(ValueError, match="Missing 1 parameters: \nbias."):
        lin.load_weights([("weight", mx.zeros((3, 2)))])
    with pytest.raises(ValueError, match="Received 1 parameters not in model: \nq."):
        lin.load_weights([("weight", mx.zeros((3, 2))), ("bias", mx.zeros(3)), ("q", mx.zeros(1))])
    with pytest.raises(ValueError, match=r"Expected shape \(3, 2\) but received shape \(2, 2\) "
                                         "for parameter weight"):
        lin.load_weights([("weight", mx.zeros((2, 2))), ("bias", mx.zeros(3))])
    with pytest.raises(ValueError, match="Expected mx.array but received <class 'int'> "
                                         "for parameter weight"):
        lin.load_weights([("weight", 3), ("bias", mx.zeros(3))])
    lin.load_weights([("bias", mx.ones(3))], strict=False)
    assert lin.bias.sum().item() == 3


def _mlp64():
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    m.set_dtype(mx.float64)
    return m


def test_value_and_grad_matches_finite_differences():
    m = _mlp64()
    rng = np.random.default_rng(0)
    x = mx.array(rng.normal(size=(5, 3)), dtype=mx.float64)
    y = mx.array(rng.normal(size=(5, 2)), dtype=mx.float64)

    def loss_fn(x, y):
        return nn.losses.mse_loss(m(x), y)

    vg = nn.value_and_grad(m, loss_fn)
    before = dict(tree_flatten(m.parameters()))
    value, grads = vg(x, y)
    after = dict(tree_flatten(m.parameters()))
    assert all(before[k] is after[k] for k in before)  # model restored
    assert value.item() == pytest.approx(loss_fn(x, y).item(), rel=1e-12)
    flat_g = dict(tree_flatten(grads))
    assert flat_g.keys() == before.keys()
    eps = 1e-6
    for k, p in before.items():
        p_np = npa(p)
        fd = np.zeros_like(p_np)
        for idx in np.ndindex(p_np.shape):
            for sgn in (1, -1):
                q = p_np.copy()
                q[idx] += sgn * eps
                m.load_weights([(k, mx.array(q, dtype=mx.float64))], strict=False)
                fd[idx] += sgn * loss_fn(x, y).item() / (2 * eps)
        m.load_weights([(k, p)], strict=False)
        np.testing.assert_allclose(npa(flat_g[k]), fd, rtol=1e-6, atol=1e-8)


def test_value_and_grad_respects_freeze():
    m = _mlp64()
    m.layers[0].freeze()
    x = mx.ones((2, 3), dtype=mx.float64)
    _, grads = nn.value_and_grad(m, lambda x: m(x).sum())(x)
    assert [k for k, _ in tree_flatten(grads)] == ["layers.2.weight", "layers.2.bias"]


def test_value_and_grad_kwargs_and_aux():
    m = _mlp64()
    def fn(x, scale=1.0):
        out = m(x).sum() * scale
        return out, out * 2
    (v, aux), g = nn.value_and_grad(m, fn)(mx.ones((1, 3), dtype=mx.float64), scale=3.0)
    assert aux.item() == pytest.approx(2 * v.item())
    _, g1 = nn.value_and_grad(m, lambda x: m(x).sum())(mx.ones((1, 3), dtype=mx.float64))
    tree_map(lambda a, b: np.testing.assert_allclose(npa(a), 3 * npa(b), rtol=1e-12), g, g1)


def test_training_step_reduces_loss():
    mx.random.seed(0)
    rng = np.random.default_rng(1)
    xn = rng.normal(size=(32, 4)).astype(np.float32)
    x = mx.array(xn)
    labels = mx.array((xn[:, 0] + xn[:, 1] > 0).astype(np.int32))
    m = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))

    def loss_fn(x, t):
        return nn.losses.cross_entropy(m(x), t, reduction="mean")

    vg = nn.value_and_grad(m, loss_fn)
    first = None
    for _ in range(30):
        loss, grads = vg(x, labels)
        first = loss.item() if first is None else first
        m.update(tree_map(lambda p, g: p - 0.5 * g, m.trainable_parameters(), grads))
        mx.eval(m.parameters())
    assert loss.item() < 0.5 * first


def test_compiled_training_step_with_state():
    mx.random.seed(0)
    rng = np.random.default_rng(3)
    xn = rng.normal(size=(16, 4)).astype(np.float32)
    x, t = mx.array(xn), mx.array((xn[:, 0] > 0).astype(np.int32))
    m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm(8), nn.ReLU(), nn.Linear(8, 2))
    m2 = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm(8), nn.ReLU(), nn.Linear(8, 2))
    m2.update(m.parameters())

    def make_step(model):
        vg = nn.value_and_grad(
            model, lambda x, t: nn.losses.cross_entropy(model(x), t, reduction="mean"))

        def step(x, t):
            loss, grads = vg(x, t)
            model.update(tree_map(lambda p, g: p - 0.1 * g, model.trainable_parameters(), grads))
            return loss
        return step

    plain = make_step(m)
    state = [m2.state]
    compiled = mx.compile(make_step(m2), inputs=state, outputs=state)
    for _ in range(3):
        l1, l2 = plain(x, t), compiled(x, t)
        mx.eval(l1, l2, m.parameters(), m2.parameters())
        np.testing.assert_allclose(l1.item(), l2.item(), rtol=1e-5)
    for (k1, a), (k2, b) in zip(tree_flatten(m.parameters()), tree_flatten(m2.parameters())):
        assert k1 == k2
        np.testing.assert_allclose(npa(a), npa(b), rtol=1e-5, atol=1e-6)
    # BatchNorm's running statistics moved, and are not trainable
    assert float(mx.abs(m.layers[1].running_mean).sum().item()) > 0
    assert "running_mean" not in m.layers[1].trainable_parameters()
