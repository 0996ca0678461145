"""The training step of issue 5: value_and_grad of a 3-layer MLP, 784-512-512
-10, ReLU, softmax cross-entropy (logsumexp minus the target logit, mean over
the batch of 128), written with core ops in each framework: ember and MLX
`value_and_grad` (not compiled), JAX `jit(value_and_grad)`, PyTorch
autograd (`torch.autograd.grad` of the loss with respect to the 6 parameter
tensors). `mlp_step_compiled` is the same with ember and MLX compiling the
step (`compile(value_and_grad(loss))`). Same float32 parameters and data everywhere; one call returns the
loss and the 6 gradients, all computed. NumPy has no autodiff: no column.
The rate column is GFLOP/s of the three matmuls forward and their five
backward (2 m k n each)."""
import numpy as np

from bench.cases import Case, rng_f32

DIMS = [784, 512, 512, 10]
BATCH = 128


def _data():
    params = []
    for i, (a, b) in enumerate(zip(DIMS[:-1], DIMS[1:])):
        params.append(rng_f32((a, b), seed=20 + i, lo=-1 / np.sqrt(a), hi=1 / np.sqrt(a)))
        params.append(np.zeros(b, np.float32))
    x = rng_f32((BATCH, DIMS[0]), seed=30, lo=0, hi=1)
    y = np.eye(DIMS[-1], dtype=np.float32)[np.random.default_rng(31).integers(0, DIMS[-1], BATCH)]
    return params, x, y


def _loss_mx(m):
    def loss(params, x, y):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = m.maximum(h, 0.0)
        return m.mean(m.logsumexp(h, axis=-1) - m.sum(h * y, axis=-1))
    return loss


def _loss_jax(jnp, jax):
    def loss(params, x, y):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = jnp.maximum(h, 0.0)
        return jnp.mean(jax.nn.logsumexp(h, axis=-1) - jnp.sum(h * y, axis=-1))
    return loss


def _loss_torch(torch):
    def loss(params, x, y):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = torch.relu(h)
        return torch.mean(torch.logsumexp(h, dim=-1) - torch.sum(h * y, dim=-1))
    return loss


def setup(fws, size, compiled=False):
    case = CASES[1] if compiled else CASES[0]
    params, x, y = _data()
    out = {}
    for name, fw in fws.items():
        if name == "numpy":
            case.missing[name] = "no autodiff"
            continue
        P = [fw.to(p) for p in params]
        X, Y = fw.to(x), fw.to(y)
        if name in ("ember", "mlx"):
            vg = fw.mod.value_and_grad(_loss_mx(fw.mod))
            m = fw.mod
            if compiled:
                vg = m.compile(vg)

            def step(vg=vg, P=P, X=X, Y=Y, m=m):
                loss, grads = vg(P, X, Y)
                m.eval(loss, grads)
                return loss, grads
            out[name] = (step, 1)
        elif name == "jax":
            vg = fw.jit(fw.jax.value_and_grad(_loss_jax(fw.mod, fw.jax)))
            out[name] = (lambda vg=vg, P=P, X=X, Y=Y, fw=fw: fw.force(vg(P, X, Y)), 1)
        elif name == "torch":
            torch = fw.mod
            for p in P:
                p.requires_grad_(True)
            loss_fn = _loss_torch(torch)

            def tstep(P=P, X=X, Y=Y, fw=fw):
                loss = loss_fn(P, X, Y)
                grads = torch.autograd.grad(loss, P)
                return fw.force((loss.item(), grads))
            out[name] = (tstep, 1)
    return out


def _flops(_):
    f = 0
    for a, b in zip(DIMS[:-1], DIMS[1:]):
        f += 2 * BATCH * a * b * 3    # forward, grad of weights, grad of inputs
    return float(f - 2 * BATCH * DIMS[0] * DIMS[1])   # no grad for the input x


CASES = [Case("mlp_step", "mlp", [BATCH], [BATCH], setup, flops_per=_flops,
              label=lambda s: "784-512-512-10, batch 128", unit="GFLOP/s", plot=False),
         Case("mlp_step_compiled", "mlp (compiled)", [BATCH], [BATCH], lambda f, s: setup(f, s, compiled=True),
              flops_per=_flops, label=lambda s: "784-512-512-10, batch 128", unit="GFLOP/s", plot=False,
              note="The same step with ember's and MLX's `compile(value_and_grad(loss))`; JAX jitted "
                   "as before; PyTorch eager (1.13 has no torch.compile).")]
