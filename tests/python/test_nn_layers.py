"""ember.nn layers against mlx.nn 0.32 (CPU) with identical weights and inputs
(tests/python/data/nn_reference.npz, written by gen_nn_reference.py), plus
shapes, parameter trees, modes, gradients through layers and errors."""
import os
import sys

import numpy as np
import pytest

import ember.core as mx
import ember.nn as nn
from ember.utils import tree_flatten

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "data"))
from gen_nn_reference import CASES, CONV_CASES, make_inputs  # noqa: E402

REF = np.load(os.path.join(os.path.dirname(__file__), "data", "nn_reference.npz"))
HAS_CONV = all(hasattr(mx, n) for n in ("conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                        "conv_transpose2d", "conv_transpose3d"))


def _entries(name, kind):
    head = f"{name}/{kind}/"
    return {k[len(head):]: REF[k] for k in REF.files if k.startswith(head)}


def _run_case(index, case):
    name, ctor, spec, call = case
    m = eval(ctor, {"nn": nn, "mx": mx})
    params = _entries(name, "param")
    assert sorted(k for k, _ in tree_flatten(m.parameters())) == sorted(params)
    m.load_weights([(k, mx.array(v)) for k, v in params.items()])
    inputs = make_inputs(spec, 1000 + index)
    env = {"nn": nn, "mx": mx, "m": m, **{k: mx.array(v) for k, v in inputs.items()}}
    result = eval(call, env)
    got = dict(tree_flatten(result if isinstance(result, (list, tuple)) else [result]))
    want = _entries(name, "out")
    assert want, name
    assert sorted(got) == sorted(want)
    for k, w in want.items():
        g = np.array(got[k])
        assert g.shape == w.shape and g.dtype == w.dtype, (name, k, g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-5, err_msg=f"{name} {k}")
    after = _entries(name, "after")
    for k, v in tree_flatten(m.parameters()):
        np.testing.assert_allclose(np.array(v), after[k], rtol=2e-5, atol=1e-6,
                                   err_msg=f"{name} {k} after")


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_layer_matches_mlx(index):
    _run_case(index, CASES[index])


@pytest.mark.skipif(not HAS_CONV, reason="ember.core has no conv ops yet")
@pytest.mark.parametrize("index", range(len(CONV_CASES)), ids=[c[0] for c in CONV_CASES])
def test_conv_layer_matches_mlx(index):
    _run_case(len(CASES) + index, CONV_CASES[index])
