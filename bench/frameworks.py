"""The frameworks a case can run on, each behind one small adapter.

An adapter knows how to import its library (None when it cannot), how to turn
a NumPy input into its own array on the chosen device, and how to force a
result to be computed: NumPy is eager; ember and MLX are lazy (`eval`); JAX
dispatches asynchronously (`block_until_ready`); PyTorch on a GPU is
asynchronous (`torch.cuda.synchronize`). Every timed call ends with `force`,
so no framework is timed for merely recording work.

Thread counts are set by the worker before any import (bench/worker.py):
CPU affinity to the first T allowed CPUs plus each library's own knob.
"""
import io
import os
import sys
import contextlib

FRAMEWORKS = ("ember", "numpy", "mlx", "jax", "torch")


class Framework:
    name = "?"
    mod = None          # the imported module (mlx.core / ember.core / numpy / jax.numpy / torch)
    version = "?"
    why_not = ""        # reason when unavailable
    device = "cpu"

    def available(self):
        return self.mod is not None

    def to(self, x):
        return x

    def force(self, out):
        return out


class NumPy(Framework):
    name = "numpy"

    def __init__(self, device, threads):
        if device != "cpu":
            self.why_not = "CPU only"
            return
        import numpy as np
        self.mod, self.version = np, np.__version__


class Ember(Framework):
    name = "ember"

    def __init__(self, device, threads):
        if device != "cpu":
            self.why_not = "no CUDA backend yet"
            return
        try:
            import ember.core as em
        except ImportError as e:
            self.why_not = f"not importable ({e})"
            return
        import ember
        self.mod, self.version = em, getattr(ember, "__version__", "?")

    def to(self, x):
        return self.mod.array(x)

    def force(self, out):
        self.mod.eval(out)
        return out


class MLX(Framework):
    name = "mlx"

    def __init__(self, device, threads):
        if device != "cpu":
            self.why_not = "MLX's CUDA build is not installed"
            return
        try:
            import mlx.core as mx
        except ImportError as e:
            self.why_not = f"not importable ({e})"
            return
        mx.set_default_device(mx.cpu)
        self.mod, self.version = mx, getattr(mx, "__version__", "?")

    def to(self, x):
        return self.mod.array(x)

    def force(self, out):
        self.mod.eval(out)
        return out


class JAX(Framework):
    name = "jax"

    def __init__(self, device, threads):
        try:
            import jax
            import jax.numpy as jnp
        except ImportError as e:
            self.why_not = f"not importable ({e})"
            return
        try:
            self.dev = jax.devices("gpu" if device == "gpu" else "cpu")[0]
        except RuntimeError as e:
            self.why_not = f"no {device} device ({str(e).splitlines()[0]})"
            return
        if device == "gpu":
            # float32 products in full float32, as PyTorch's default
            # (JAX's default on a GPU would use TF32 passes)
            jax.config.update("jax_default_matmul_precision", "highest")
        self.jax, self.mod, self.version = jax, jnp, jax.__version__
        self.device = device

    def to(self, x):
        return self.jax.device_put(x, self.dev)

    def force(self, out):
        return self.jax.block_until_ready(out)

    def jit(self, fn):
        return self.jax.jit(fn)


@contextlib.contextmanager
def quiet():
    """Silence stderr, Python's and the C library's (fd 2)."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


class Torch(Framework):
    name = "torch"

    def __init__(self, device, threads):
        try:
            # Debian's torch 1.13 was built against NumPy 1.x: with NumPy 2 it
            # prints a warning when it first looks for NumPy and cannot share
            # NumPy buffers; inputs then go through torch.frombuffer (see to()).
            with quiet():
                import torch
                torch.set_num_threads(threads)
                self.mod = torch
                self.device = "cpu"
                self.to(__import__("numpy").zeros(1, "float32"))
        except ImportError as e:
            self.mod = None
            self.why_not = f"not available ({e})"
            return
        if device == "gpu" and not torch.cuda.is_available():
            self.mod = None
            self.why_not = "no CUDA device"
            return
        self.mod, self.version = torch, torch.__version__
        self.device = "cuda" if device == "gpu" else "cpu"
        self.sync = torch.cuda.synchronize if device == "gpu" else None

    def to(self, x):
        torch = self.mod
        try:
            t = torch.from_numpy(x.copy())
        except (RuntimeError, TypeError):
            dt = {"float32": torch.float32, "float64": torch.float64, "int32": torch.int32,
                  "int64": torch.int64}[str(x.dtype)]
            t = torch.frombuffer(bytearray(x.tobytes()), dtype=dt).reshape(x.shape)
        return t.to(self.device)

    def force(self, out):
        if self.sync is not None:
            self.sync()
        return out


def load(device, threads, only=None):
    """{name: adapter} for every framework (available or not), in report order."""
    classes = {"ember": Ember, "numpy": NumPy, "mlx": MLX, "jax": JAX, "torch": Torch}
    out = {}
    for name in FRAMEWORKS:
        if only and name not in only:
            continue
        try:
            out[name] = classes[name](device, threads)
        except Exception as e:  # a broken install is reported, never fatal
            fw = Framework()
            fw.name, fw.why_not = name, f"failed to load: {type(e).__name__}: {e}"
            out[name] = fw
    return out


def blas_info():
    """BLAS libraries loaded in this process and their thread counts
    (threadpoolctl when installed)."""
    try:
        import threadpoolctl
        return "; ".join(f"{p.get('internal_api')} {p.get('version')} ({os.path.basename(p.get('filepath', ''))}, "
                         f"{p.get('num_threads')} threads)"
                         for p in threadpoolctl.threadpool_info())
    except Exception as e:
        return f"unknown ({type(e).__name__})"


if __name__ == "__main__":
    for fw in load(sys.argv[1] if len(sys.argv) > 1 else "cpu", 1).values():
        print(fw.name, fw.version if fw.available() else "-", fw.why_not)
