"""Recurrent layers RNN, GRU and LSTM over inputs ``(..., L, input_size)``
(time on the second-to-last axis); each returns the hidden state of every
step, stacked on that axis."""
import math
from typing import Callable, Optional

import ember.core as mx

from .activations import tanh
from .base import Module


def _uniform(scale, shape):
    return mx.random.uniform(low=-scale, high=scale, shape=shape)


def _project(x, w, b):
    """x @ w.T (+ b): the input projection of every step at once."""
    y = mx.matmul(x, w.T)
    return y + b if b is not None else y


class RNN(Module):
    r"""Elman recurrent layer :math:`h_t = \sigma(W_{xh} x_t + W_{hh} h_{t-1} +
    b)`, :math:`\sigma` = ``nonlinearity`` (default tanh); weights from
    :math:`\mathcal U(-k, k)`, :math:`k = 1/\sqrt{\text{hidden\_size}}`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: Optional[Callable] = None):
        super().__init__()
        self.nonlinearity = nonlinearity or tanh
        if not callable(self.nonlinearity):
            raise ValueError(f"Nonlinearity must be callable. Current value: {nonlinearity}.")
        scale = 1.0 / math.sqrt(hidden_size)
        self.hidden_size = hidden_size
        self.Wxh = _uniform(scale, (hidden_size, input_size))
        self.Whh = _uniform(scale, (hidden_size, hidden_size))
        if bias:
            self.bias = _uniform(scale, (hidden_size,))

    def _extra_repr(self):
        return (f"input_dims={self.Wxh.shape[1]}, hidden_size={self.hidden_size}, "
                f"nonlinearity={self.nonlinearity}, bias={'bias' in self}")

    def __call__(self, x, hidden=None):
        x = _project(x, self.Wxh, self.get("bias"))
        states = []
        for t in range(x.shape[-2]):
            h = x[..., t, :]
            if hidden is not None:
                h = h + mx.matmul(hidden, self.Whh.T)
            hidden = self.nonlinearity(h)
            states.append(hidden)
        return mx.stack(states, axis=-2)


class GRU(Module):
    r"""Gated recurrent unit (gates r, z, candidate n in that order in
    ``Wx``/``Wh``/``b``; ``bhn`` is the hidden bias of n, applied inside the
    reset gate as in PyTorch)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        scale = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(scale, (3 * hidden_size, input_size))
        self.Wh = _uniform(scale, (3 * hidden_size, hidden_size))
        if bias:
            self.b = _uniform(scale, (3 * hidden_size,))
            self.bhn = _uniform(scale, (hidden_size,))

    def _extra_repr(self):
        return (f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, "
                f"bias={'b' in self}")

    def __call__(self, x, hidden=None):
        H = self.hidden_size
        x = _project(x, self.Wx, self.get("b"))
        x_rz, x_n = x[..., :-H], x[..., -H:]
        bhn = self.get("bhn")
        states = []
        for t in range(x.shape[-2]):
            rz = x_rz[..., t, :]
            if hidden is not None:
                h_proj = mx.matmul(hidden, self.Wh.T)
                rz = rz + h_proj[..., :-H]
                h_n = h_proj[..., -H:]
                if bhn is not None:
                    h_n = h_n + bhn
            else:
                h_n = bhn
            r, z = mx.split(mx.sigmoid(rz), 2, axis=-1)
            n = x_n[..., t, :]
            if h_n is not None:
                n = n + r * h_n
            n = mx.tanh(n)
            hidden = (1 - z) * n if hidden is None else (1 - z) * n + z * hidden
            states.append(hidden)
        return mx.stack(states, axis=-2)


class LSTM(Module):
    r"""Long short-term memory layer (gates i, f, g, o in that order in
    ``Wx``/``Wh``/``bias``). Returns ``(hidden, cell)``, each stacked over
    the steps."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        scale = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(scale, (4 * hidden_size, input_size))
        self.Wh = _uniform(scale, (4 * hidden_size, hidden_size))
        if bias:
            self.bias = _uniform(scale, (4 * hidden_size,))

    def _extra_repr(self):
        return (f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, "
                f"bias={'bias' in self}")

    def __call__(self, x, hidden=None, cell=None):
        x = _project(x, self.Wx, self.get("bias"))
        hs, cs = [], []
        for t in range(x.shape[-2]):
            ifgo = x[..., t, :]
            if hidden is not None:
                ifgo = ifgo + mx.matmul(hidden, self.Wh.T)
            i, f, g, o = mx.split(ifgo, 4, axis=-1)
            i, f, g, o = mx.sigmoid(i), mx.sigmoid(f), mx.tanh(g), mx.sigmoid(o)
            cell = i * g if cell is None else f * cell + i * g
            hidden = o * mx.tanh(cell)
            hs.append(hidden)
            cs.append(cell)
        return mx.stack(hs, axis=-2), mx.stack(cs, axis=-2)
