"""conv2d of the conv issue: a (16, 32, 32, 64) float32 input (NHWC) with a
(64, 3, 3, 64) kernel, padding 1, forward, and forward + backward
(value_and_grad of sum(conv2d(x, w)) with respect to x and w). ember and MLX
take NHWC inputs and OHWI kernels; JAX gets the same layouts through
`lax.conv_general_dilated`'s dimension numbers (jitted); PyTorch runs in
NCHW, its native layout, its results handed back as NHWC views (no copy).
NumPy has no convolution: no column. The rate is 2 N H W O (3 x 3 x C)
flops of the forward pass (3 times that with the backward)."""
import numpy as np

from bench.cases import Case

FULL = [(16, 32, 32, 64, 64)]
QUICK = [(4, 16, 16, 32, 32)]


def _data(s):
    n, h, w, c, o = s
    r = np.random.default_rng(0)
    return r.standard_normal((n, h, w, c)).astype(np.float32), \
        (r.standard_normal((o, 3, 3, c)) * 0.1).astype(np.float32)


def _setup(backward):
    def setup(fws, s):
        case = CASES[1 if backward else 0]
        x, w = _data(s)
        out = {}
        for name, fw in fws.items():
            if name == "numpy":
                case.missing[name] = "no convolution"
                continue
            if name in ("ember", "mlx"):
                m = fw.mod
                X, W = fw.to(x), fw.to(w)
                if backward:
                    vg = m.value_and_grad(lambda a, b, m=m: m.sum(m.conv2d(a, b, padding=1)), argnums=(0, 1))
                    f = lambda vg=vg, X=X, W=W: vg(X, W)  # noqa: E731
                else:
                    f = lambda m=m, X=X, W=W: m.conv2d(X, W, padding=1)  # noqa: E731
            elif name == "jax":
                lax = fw.jax.lax

                def conv(a, b, lax=lax):
                    return lax.conv_general_dilated(a, b, (1, 1), ((1, 1), (1, 1)),
                                                    dimension_numbers=("NHWC", "OHWI", "NHWC"))
                jm = fw.mod
                g = fw.jit(fw.jax.value_and_grad(lambda a, b, jm=jm, conv=conv: jm.sum(conv(a, b)),
                                                 argnums=(0, 1))
                           if backward else conv)
                X, W = fw.to(x), fw.to(w)
                f = lambda g=g, X=X, W=W: g(X, W)  # noqa: E731
            elif name == "torch":
                t = fw.mod
                X = fw.to(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
                W = fw.to(np.ascontiguousarray(w.transpose(0, 3, 1, 2)))
                tconv = t.nn.functional.conv2d
                if backward:
                    X.requires_grad_(True)
                    W.requires_grad_(True)

                    def f(X=X, W=W, t=t, conv=tconv):
                        y = conv(X, W, padding=1).sum()
                        gx, gw = t.autograd.grad(y, (X, W))
                        return y.detach(), (gx.permute(0, 2, 3, 1), gw.permute(0, 2, 3, 1))
                else:
                    def f(X=X, W=W, t=t, conv=tconv):
                        with t.no_grad():
                            return conv(X, W, padding=1).permute(0, 2, 3, 1)
            else:
                continue
            out[name] = (lambda f=f, fw=fw: fw.force(f()), 1)
        return out
    return setup


def _flops(s):
    n, h, w, c, o = s
    return 2.0 * n * h * w * o * 9 * c


def _label(s):
    n, h, w, c, o = s
    return f"{n}x{h}x{w}x{c}, kernel {o}x3x3x{c}, pad 1"


CASES = [Case("conv2d", "conv", FULL, QUICK, _setup(False), flops_per=_flops, unit="GFLOP/s",
              label=_label, plot=False),
         Case("conv2d_grad", "conv", FULL, QUICK, _setup(True), flops_per=lambda s: 3 * _flops(s),
              unit="GFLOP/s", label=_label, plot=False,
              note="value_and_grad of sum(conv2d(x, w)) with respect to x and w; PyTorch "
                   "`autograd.grad`, JAX jitted `value_and_grad`.")]
