"""ember.optimizers: each optimizer against a NumPy transcription of its update
rule over several steps on a tree of parameters, against MLX's own optimizers
(when /tmp/oracle has mlx), the schedules, clip_grad_norm, state handling and
the errors."""
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import ember.core as mx
import ember.optimizers as optim

STEPS = 4
ORACLE = os.environ.get("EMBER_MLX_ORACLE", "/tmp/oracle/bin/python")


def make_tree(seed=0):
    r = np.random.default_rng(seed)
    return {
        "w": r.standard_normal((3, 4)).astype(np.float32),
        "b": r.standard_normal((4,)).astype(np.float32),
        "layers": [{"w": r.standard_normal((2, 3)).astype(np.float32)},
                   {"w": r.standard_normal((5, 2)).astype(np.float32)}],
    }


def leaves(tree, prefix=""):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from leaves(v, f"{prefix}{k}.")
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from leaves(v, f"{prefix}{i}.")
    else:
        yield prefix[:-1], tree


def tmap(fn, *trees):
    t = trees[0]
    if isinstance(t, dict):
        return {k: tmap(fn, *[x[k] for x in trees]) for k in t}
    if isinstance(t, list):
        return [tmap(fn, *[x[i] for x in trees]) for i in range(len(t))]
    return fn(*trees)


def grads_for(step):
    return make_tree(100 + step)


def run_ember(make_opt, steps=STEPS):
    opt = make_opt()
    params = tmap(mx.array, make_tree())
    for s in range(steps):
        params = opt.apply_gradients(tmap(mx.array, grads_for(s)), params)
        mx.eval(params, opt.state)
    return opt, tmap(np.array, params)


def run_numpy(rule, steps=STEPS):
    """rule(g, p, state, t) -> new p, with t the 1-based step; float64 throughout."""
    params = tmap(lambda a: a.astype(np.float64), make_tree())
    states = tmap(lambda a: {}, params)
    for s in range(steps):
        g = tmap(lambda a: a.astype(np.float64), grads_for(s))
        params = tmap(lambda gi, pi, st: rule(gi, pi, st, s + 1), g, params, states)
    return params


def assert_trees_close(got, want, rtol=2e-5, atol=2e-6):
    for (path, a), (_, b) in zip(leaves(got), leaves(want)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=path)


# ---------------------------------------------------------------- NumPy rules


def sgd_rule(lr, momentum=0.0, wd=0.0, dampening=0.0, nesterov=False):
    def rule(g, p, st, t):
        g = g + wd * p
        if momentum <= 0:
            return p - lr * g
        v = momentum * st.get("v", np.zeros_like(p)) + (1 - dampening) * g
        st["v"] = v
        return p - lr * (g + momentum * v if nesterov else v)
    return rule


def rmsprop_rule(lr, alpha=0.99, eps=1e-8):
    def rule(g, p, st, t):
        st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g * g
        return p - lr * g / (np.sqrt(st["v"]) + eps)
    return rule


def adagrad_rule(lr, eps=1e-8):
    def rule(g, p, st, t):
        st["v"] = st.get("v", 0) + g * g
        return p - lr * g / (np.sqrt(st["v"]) + eps)
    return rule


def adadelta_rule(lr, rho=0.9, eps=1e-6):
    def rule(g, p, st, t):
        v = rho * st.get("v", 0) + (1 - rho) * g * g
        u = st.get("u", np.zeros_like(p))
        d = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        st["v"], st["u"] = v, rho * u + (1 - rho) * d * d
        return p - lr * d
    return rule


def adam_rule(lr, b1=0.9, b2=0.999, eps=1e-8, bias_correction=False, wd=0.0):
    def rule(g, p, st, t):
        p = p * (1 - lr * wd)
        m = b1 * st.get("m", 0) + (1 - b1) * g
        v = b2 * st.get("v", 0) + (1 - b2) * g * g
        st["m"], st["v"] = m, v
        if bias_correction:
            m, v = m / (1 - b1**t), v / (1 - b2**t)
        return p - lr * m / (np.sqrt(v) + eps)
    return rule


def adamax_rule(lr, b1=0.9, b2=0.999, eps=1e-8):
    def rule(g, p, st, t):
        m = b1 * st.get("m", 0) + (1 - b1) * g
        v = np.maximum(b2 * st.get("v", np.zeros_like(p)), np.abs(g))
        st["m"], st["v"] = m, v
        return p - lr * m / (v + eps)
    return rule


def lion_rule(lr, b1=0.9, b2=0.99, wd=0.0):
    def rule(g, p, st, t):
        m = st.get("m", np.zeros_like(p))
        c = b1 * m + (1 - b1) * g
        st["m"] = b2 * m + (1 - b2) * g
        return p * (1 - lr * wd) - lr * np.sign(c)
    return rule


def rms(x):
    return np.sqrt(np.mean(x * x))


def adafactor_rule(lr=None, eps=(1e-30, 1e-3), clip=1.0, decay=-0.8, beta_1=None, wd=0.0,
                   scale_parameter=True, relative_step=True, warmup_init=False):
    def rule(g, p, st, t):
        if relative_step:
            size = min(1e-6 * t if warmup_init else 1e-2, 1 / math.sqrt(t))
        else:
            size = lr
        step_lr = max(eps[1], rms(p)) * size if scale_parameter else size
        beta2 = 1 - t**decay
        g2 = g * g + eps[0]
        if g.ndim >= 2:
            row = beta2 * st.get("row", 0) + (1 - beta2) * g2.mean(-1)
            col = beta2 * st.get("col", 0) + (1 - beta2) * g2.mean(-2)
            st["row"], st["col"] = row, col
            # The factored estimate of E[g^2]: outer(row, col) / mean(row).
            v = np.outer(row, col) / row.mean()
        else:
            v = beta2 * st.get("v", 0) + (1 - beta2) * g2
            st["v"] = v
        u = g / np.sqrt(v)
        u = u / max(1.0, rms(u) / clip) * step_lr
        if beta_1 is not None:
            u = beta_1 * st.get("m", 0) + (1 - beta_1) * u
            st["m"] = u
        return p * (1 - wd * step_lr) - u
    return rule


def newton_schulz(x, steps):
    a, b, c = 3.4445, -4.7750, 2.0315
    tall = x.shape[0] > x.shape[1]
    if tall:
        x = x.T
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        A = x @ x.T
        x = a * x + (b * A + c * A @ A) @ x
    return x.T if tall else x


def muon_rule(lr, momentum=0.95, wd=0.01, nesterov=True, ns_steps=5):
    def rule(g, p, st, t):
        g = g + wd * p
        v = momentum * st.get("v", 0) + (1 - momentum) * g
        st["v"] = v
        u = g * (1 - momentum) + v * momentum if nesterov else v
        scale = lr
        if u.ndim >= 2:
            u = newton_schulz(u.reshape(u.shape[0], -1), ns_steps).reshape(u.shape)
            scale = lr * max(1, u.shape[-2] / u.shape[-1]) ** 0.5
        return p - scale * u
    return rule


# (name, kwargs of the optimizer, NumPy rule). Each is also run against MLX.
CASES = [
    ("SGD", dict(learning_rate=0.1), sgd_rule(0.1)),
    ("SGD", dict(learning_rate=0.1, momentum=0.9), sgd_rule(0.1, 0.9)),
    ("SGD", dict(learning_rate=0.05, momentum=0.8, weight_decay=0.01, dampening=0.3),
     sgd_rule(0.05, 0.8, 0.01, 0.3)),
    ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
     sgd_rule(0.05, 0.9, 0.1, 0.0, True)),
    ("RMSprop", dict(learning_rate=0.01), rmsprop_rule(0.01)),
    ("RMSprop", dict(learning_rate=0.01, alpha=0.5, eps=1e-4), rmsprop_rule(0.01, 0.5, 1e-4)),
    ("Adagrad", dict(learning_rate=0.1), adagrad_rule(0.1)),
    ("AdaDelta", dict(learning_rate=1.0), adadelta_rule(1.0)),
    ("AdaDelta", dict(learning_rate=0.5, rho=0.5, eps=1e-3), adadelta_rule(0.5, 0.5, 1e-3)),
    ("Adam", dict(learning_rate=0.01), adam_rule(0.01)),
    ("Adam", dict(learning_rate=0.01, betas=[0.8, 0.9], eps=1e-6, bias_correction=True),
     adam_rule(0.01, 0.8, 0.9, 1e-6, True)),
    ("AdamW", dict(learning_rate=0.01), adam_rule(0.01, wd=0.01)),
    ("AdamW", dict(learning_rate=0.01, weight_decay=0.1, bias_correction=True),
     adam_rule(0.01, wd=0.1, bias_correction=True)),
    ("Adamax", dict(learning_rate=0.01), adamax_rule(0.01)),
    ("Adamax", dict(learning_rate=0.02, betas=[0.5, 0.7]), adamax_rule(0.02, 0.5, 0.7)),
    ("Lion", dict(learning_rate=0.01), lion_rule(0.01)),
    ("Lion", dict(learning_rate=0.01, betas=[0.5, 0.8], weight_decay=0.1),
     lion_rule(0.01, 0.5, 0.8, 0.1)),
    ("Adafactor", dict(), adafactor_rule()),
    ("Adafactor", dict(learning_rate=0.05, relative_step=False, scale_parameter=False, beta_1=0.9,
                       weight_decay=0.1, clip_threshold=0.5),
     adafactor_rule(0.05, relative_step=False, scale_parameter=False, beta_1=0.9, wd=0.1, clip=0.5)),
    ("Adafactor", dict(warmup_init=True, decay_rate=-0.5), adafactor_rule(warmup_init=True, decay=-0.5)),
    ("Muon", dict(learning_rate=0.02), muon_rule(0.02)),
    ("Muon", dict(learning_rate=0.02, momentum=0.9, weight_decay=0.0, nesterov=False, ns_steps=3),
     muon_rule(0.02, 0.9, 0.0, False, 3)),
]
IDS = [f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("name,kwargs,rule", CASES, ids=IDS)
def test_against_numpy_rule(name, kwargs, rule):
    opt, got = run_ember(lambda: getattr(optim, name)(**kwargs))
    want = run_numpy(rule)
    # Muon's Newton-Schulz iteration amplifies float32 rounding.
    tol = dict(rtol=2e-4, atol=2e-5) if name == "Muon" else {}
    assert_trees_close(got, want, **tol)
    assert opt.step.dtype == mx.uint64 and opt.step.item() == STEPS
    assert tmap(lambda a: a.dtype, got) == tmap(lambda a: np.dtype(np.float32), got)


ORACLE_SCRIPT = r"""
import sys, json, numpy as np
import mlx.core as mx, mlx.optimizers as optim
from mlx.utils import tree_map
spec = json.loads(sys.argv[1]); data = np.load(sys.argv[2])
def tree(prefix):
    return {"w": mx.array(data[prefix + "w"]), "b": mx.array(data[prefix + "b"]),
            "layers": [{"w": mx.array(data[prefix + "l0"])}, {"w": mx.array(data[prefix + "l1"])}]}
kwargs = spec["kwargs"]
if "schedule" in spec:
    kwargs["learning_rate"] = getattr(optim, spec["schedule"][0])(*spec["schedule"][1])
opt = getattr(optim, spec["name"])(**kwargs)
p = tree("p.")
for s in range(spec["steps"]):
    p = opt.apply_gradients(tree(f"g{s}."), p)
    mx.eval(p, opt.state)
out = {"w": p["w"], "b": p["b"], "l0": p["layers"][0]["w"], "l1": p["layers"][1]["w"]}
np.savez(sys.argv[3], **{k: np.array(v) for k, v in out.items()})
"""


def run_oracle(spec, steps=STEPS):
    if not os.path.exists(ORACLE):
        pytest.skip("no MLX oracle at " + ORACLE)
    import json
    flat = lambda t, pre: {pre + "w": t["w"], pre + "b": t["b"], pre + "l0": t["layers"][0]["w"],
                           pre + "l1": t["layers"][1]["w"]}
    arrays = flat(make_tree(), "p.")
    for s in range(steps):
        arrays.update(flat(grads_for(s), f"g{s}."))
    with tempfile.TemporaryDirectory() as d:
        np.savez(os.path.join(d, "in.npz"), **arrays)
        out = os.path.join(d, "out.npz")
        r = subprocess.run([ORACLE, "-c", ORACLE_SCRIPT, json.dumps(dict(spec, steps=steps)),
                            os.path.join(d, "in.npz"), out], capture_output=True, text=True)
        if r.returncode != 0 and "No module named 'mlx'" in r.stderr:
            pytest.skip("the oracle has no mlx")
        assert r.returncode == 0, r.stderr
        o = np.load(out)
        return {"w": o["w"], "b": o["b"], "layers": [{"w": o["l0"]}, {"w": o["l1"]}]}


@pytest.mark.parametrize("name,kwargs,rule", CASES, ids=IDS)
def test_against_mlx(name, kwargs, rule):
    _, got = run_ember(lambda: getattr(optim, name)(**kwargs))
    want = run_oracle({"name": name, "kwargs": kwargs})
    assert_trees_close(got, want, rtol=1e-4 if name == "Muon" else 1e-5, atol=1e-6)


SCHEDULES = [
    ("exponential_decay", (0.1, 0.9)),
    ("step_decay", (0.1, 0.5, 2)),
    ("cosine_decay", (0.1, 3, 0.01)),
    ("linear_schedule", (0.0, 0.1, 3)),
]


def schedule_numpy(name, args, t):
    if name == "exponential_decay":
        return args[0] * args[1] ** t
    if name == "step_decay":
        return args[0] * args[1] ** (t // args[2])
    if name == "cosine_decay":
        init, steps, end = args
        return end + 0.5 * (1 + math.cos(math.pi * min(t, steps) / steps)) * (init - end)
    init, end, steps = args
    return init + (end - init) * min(t, steps) / steps


@pytest.mark.parametrize("name,args", SCHEDULES)
def test_schedules(name, args):
    fn = getattr(optim, name)(*args)
    for t in range(7):
        got = fn(mx.array(t, mx.uint64))
        assert got.dtype == mx.float32 and got.shape == ()
        assert got.item() == pytest.approx(schedule_numpy(name, args, t), rel=1e-6, abs=1e-8)


def test_join_schedules():
    fn = optim.join_schedules([optim.linear_schedule(0.0, 0.1, 2), optim.cosine_decay(0.1, 4),
                               optim.exponential_decay(0.05, 0.5)], [2, 6])
    want = [0.0, 0.05] + [schedule_numpy("cosine_decay", (0.1, 4, 0.0), t) for t in range(4)]
    want += [0.05 * 0.5**t for t in range(3)]
    got = [fn(mx.array(t, mx.uint64)).item() for t in range(len(want))]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="at least 1 schedule"):
        optim.join_schedules([], [])
    with pytest.raises(ValueError, match="Received 2 boundaries but expected 1"):
        optim.join_schedules([optim.exponential_decay(1, 1)] * 2, [1, 2])


def test_scheduled_learning_rate_drives_updates():
    sched = ("cosine_decay", (0.1, 3))
    opt, got = run_ember(lambda: optim.SGD(learning_rate=optim.cosine_decay(0.1, 3), momentum=0.5))
    lrs = [schedule_numpy("cosine_decay", (0.1, 3, 0.0), t) for t in range(STEPS)]
    def rule(g, p, st, t):
        return sgd_rule(lrs[t - 1], 0.5)(g, p, st, t)

    assert_trees_close(got, run_numpy(rule))
    # The learning rate seen by the last step was scheduled from step STEPS-1.
    assert opt.learning_rate.item() == pytest.approx(lrs[-1], abs=1e-8)
    want = run_oracle({"name": "SGD", "kwargs": {"momentum": 0.5}, "schedule": sched})
    assert_trees_close(got, want)


@pytest.mark.parametrize("bad", [
    lambda: optim.step_decay(0.1, 0.9, 0), lambda: optim.cosine_decay(0.1, 0),
    lambda: optim.linear_schedule(0.1, 0.0, 0)])
def test_schedule_errors(bad):
    with pytest.raises(ValueError, match="must be greater than 0"):
        bad()


def test_clip_grad_norm():
    g = tmap(mx.array, make_tree(3))
    flat = np.concatenate([v.ravel() for _, v in leaves(make_tree(3))]).astype(np.float64)
    norm = np.linalg.norm(flat)
    clipped, total = optim.clip_grad_norm(g, max_norm=1.0)
    assert total.item() == pytest.approx(norm, rel=1e-6)
    got = np.concatenate([np.array(v).ravel() for _, v in leaves(clipped)])
    np.testing.assert_allclose(np.linalg.norm(got), 1.0, rtol=1e-5)
    np.testing.assert_allclose(got, flat / (norm + 1e-6), rtol=1e-5)
    # Below the limit nothing changes; float16 leaves keep their dtype.
    same, _ = optim.clip_grad_norm(g, max_norm=norm * 2)
    assert_trees_close(tmap(np.array, same), make_tree(3))
    h, total16 = optim.clip_grad_norm({"a": mx.array([3.0, 4.0], mx.float16)}, 1.0)
    assert h["a"].dtype == mx.float16 and total16.item() == pytest.approx(5.0)
    np.testing.assert_allclose(np.array(h["a"]), [0.6, 0.8], rtol=1e-3)
    with pytest.raises(ValueError, match="max_norm should be >=0"):
        optim.clip_grad_norm(g, -1.0)


def test_state_and_properties():
    opt = optim.Adam(learning_rate=0.01)
    assert opt.step.dtype == mx.uint64 and opt.step.item() == 0
    assert opt.learning_rate.dtype == mx.float32
    params = tmap(mx.array, make_tree())
    opt.init(params)
    assert sorted(opt.state) == ["b", "layers", "learning_rate", "step", "w"]
    assert sorted(opt.state["layers"][1]["w"]) == ["m", "v"]
    assert opt.state["w"]["m"].shape == (3, 4)
    opt.learning_rate = 0.5
    assert opt.learning_rate.item() == 0.5
    # init keeps existing state and fills in new parameters.
    opt.state["w"]["m"] = mx.ones((3, 4))
    opt.init({"w": params["w"], "extra": mx.zeros((2,))})
    assert opt.state["w"]["m"].tolist() == [[1.0] * 4] * 3 and "extra" in opt.state
    # Setting the state re-initialises lazily on the next update.
    state = opt.state
    opt.state = state
    out = opt.apply_gradients({"w": mx.ones((3, 4))}, {"w": mx.zeros((3, 4))})
    assert out["w"].shape == (3, 4) and opt.step.item() == 1


def test_update_calls_model_update():
    class Model(dict):
        def update(self, tree):
            dict.update(self, tree)

    model = Model(w=mx.array([1.0, 2.0]))
    optim.SGD(learning_rate=0.5).update(model, {"w": mx.array([1.0, -1.0])})
    assert model["w"].tolist() == [0.5, 2.5]


def test_multi_optimizer():
    params = tmap(mx.array, make_tree())
    grads = tmap(mx.array, grads_for(0))
    sgd, adam = optim.SGD(learning_rate=0.1), optim.Adam(learning_rate=0.01)
    multi = optim.MultiOptimizer([sgd, adam], [lambda path, g: path.startswith("layers")])
    out = multi.apply_gradients(grads, params)
    np.testing.assert_allclose(np.array(out["layers"][1]["w"]),
                               make_tree()["layers"][1]["w"] - 0.1 * grads_for(0)["layers"][1]["w"],
                               rtol=1e-6)
    want_w = adam_rule(0.01)(grads_for(0)["w"].astype(np.float64),
                             make_tree()["w"].astype(np.float64), {}, 1)
    np.testing.assert_allclose(np.array(out["w"]), want_w, rtol=1e-5)
    assert sorted(sgd.state) == ["layers", "learning_rate", "step"]
    assert sorted(adam.state) == ["b", "learning_rate", "step", "w"]
    assert len(multi.state["states"]) == 2
    multi.learning_rate = 0.3
    assert sgd.learning_rate.item() == pytest.approx(0.3) and adam.learning_rate.item() == pytest.approx(0.3)
    with pytest.raises(ValueError, match="Given 0 filters but 1 needed"):
        optim.MultiOptimizer([sgd, adam])
    with pytest.raises(ValueError, match="Invalid state provided"):
        multi.state = {"states": [{}]}


def test_optimizer_in_a_training_loop_with_grad():
    # A least-squares fit: the loss must fall with every optimizer.
    r = np.random.default_rng(7)
    X = mx.array(r.standard_normal((32, 3)).astype(np.float32))
    y = X @ mx.array([[1.0], [-2.0], [0.5]])

    def loss(p):
        return mx.mean(mx.square(X @ p["w"] + p["b"] - y))

    step = mx.value_and_grad(loss)
    for make in [lambda: optim.SGD(0.1, momentum=0.9), lambda: optim.Adam(0.1),
                 lambda: optim.AdamW(0.1), lambda: optim.Lion(0.01), lambda: optim.RMSprop(0.01),
                 lambda: optim.Adafactor(learning_rate=0.1, relative_step=False, scale_parameter=False),
                 lambda: optim.Muon(0.02), lambda: optim.Adagrad(0.1), lambda: optim.AdaDelta(1.0),
                 lambda: optim.Adamax(0.1)]:
        opt = make()
        p = {"w": mx.zeros((3, 1)), "b": mx.zeros((1,))}
        first = loss(p).item()
        for _ in range(30):
            value, g = step(p)
            p = opt.apply_gradients(g, p)
            mx.eval(p, opt.state)
        assert loss(p).item() < first * 0.9, type(opt).__name__


@pytest.mark.parametrize("bad,message", [
    (lambda: optim.SGD(0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening."),
    (lambda: optim.SGD(0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov momentum"),
    (lambda: optim.RMSprop(0.1, alpha=-1), "RMSprop alpha should be >=0"),
    (lambda: optim.RMSprop(0.1, eps=0), "RMSprop epsilon should be >0"),
    (lambda: optim.Adagrad(0.1, eps=0), "Adagrad epsilon should be >0"),
    (lambda: optim.AdaDelta(0.1, rho=-0.1), "AdaDelta rho should be >=0"),
    (lambda: optim.AdaDelta(0.1, eps=0), "AdaDelta epsilon should be >0"),
    (lambda: optim.Adam(0.1, betas=[1.0, 0.9]), r"Adam beta1 should be in \[0, 1\)"),
    (lambda: optim.Adam(0.1, betas=[0.9, -0.1]), r"Adam beta2 should be in \[0, 1\)"),
    (lambda: optim.Adam(0.1, eps=-1), "Adam epsilon should be >=0"),
    (lambda: optim.Lion(0.1, betas=[0.9, 1.5]), r"Lion beta2 should be in \[0, 1\)"),
])
def test_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        bad()


def test_muon_flattens_higher_rank_updates():
    # A 3-D parameter is flattened to 2-D for the iteration and reshaped back.
    opt = optim.Muon(learning_rate=0.01)
    p = {"k": mx.ones((2, 3, 4))}
    out = opt.apply_gradients({"k": mx.array(np.arange(24, dtype=np.float32).reshape(2, 3, 4))}, p)
    assert out["k"].shape == (2, 3, 4) and np.isfinite(np.array(out["k"])).all()


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        optim.Optimizer().init({"w": mx.zeros((2,))})


def test_update_trains_an_nn_module():
    # The MLX idiom: nn.value_and_grad over a Module, optimizer.update(model, grads).
    import ember.nn as nn
    r = np.random.default_rng(3)
    X = mx.array(r.standard_normal((64, 4)).astype(np.float32))
    y = mx.array((r.standard_normal(64) > 0).astype(np.int32))
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    mx.eval(model.parameters())

    def loss_fn(m, xb, yb):
        return nn.losses.cross_entropy(m(xb), yb, reduction="mean")

    step = nn.value_and_grad(model, loss_fn)
    opt = optim.AdamW(learning_rate=0.05)
    before = loss_fn(model, X, y).item()
    w0 = np.array(model.layers[0].weight)
    for _ in range(20):
        loss, grads = step(model, X, y)
        opt.update(model, grads)
        mx.eval(model.parameters(), opt.state)
    assert loss_fn(model, X, y).item() < 0.8 * before
    assert not np.array_equal(np.array(model.layers[0].weight), w0)
    assert sorted(opt.state["layers"][0]) == ["bias", "weight"]
    assert opt.step.item() == 20
