"""nn.Module: the base class of layers, a dict of parameters and sub-modules
with recursive utilities (parameters, freezing, training mode, weights I/O).

A Module *is* a dict (as in MLX): attributes holding arrays, dicts, lists or
tuples are stored as dict items, so a model is a tree that the tree utilities
and the function transforms walk directly. Other attributes (ints, flags,
functions) are ordinary instance attributes and never parameters. Keys that
start with an underscore are members but not parameters.
"""
import textwrap
from typing import Any, Callable, List, Optional, Tuple, Union

import ember.core as mx

from ...utils import tree_flatten, tree_unflatten

__all__ = ["Module"]


def _default_leaf(module, key, value):
    return not isinstance(value, (Module, dict, list))


def _unwrap(module, key, value, filter_fn, map_fn, is_leaf_fn):
    """The filtered, mapped copy of one member ``value`` found at ``key`` of
    ``module``. Plain dicts and lists inside a module are walked with dotted
    keys (``"layers.0"``) so that filters see where a value sits."""
    if is_leaf_fn(module, key, value):
        return map_fn(value)
    if isinstance(value, Module):
        return {k: _unwrap(value, k, v, filter_fn, map_fn, is_leaf_fn)
                for k, v in value.items() if filter_fn(value, k, v)}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            sub = f"{key}.{k}"
            out[k] = (_unwrap(module, sub, v, filter_fn, map_fn, is_leaf_fn)
                      if filter_fn(module, sub, v) else {})
        return out
    if isinstance(value, list):
        out = []
        for i, v in enumerate(value):
            sub = f"{key}.{i}"
            out.append(_unwrap(module, sub, v, filter_fn, map_fn, is_leaf_fn)
                       if filter_fn(module, sub, v) else {})
        return out
    raise RuntimeError("Unexpected leaf found while traversing the module")


class Module(dict):
    """Base class for building neural networks.

    Subclasses set their parameters and sub-modules as attributes in
    ``__init__`` (after calling ``super().__init__()``) and define
    ``__call__``. ``parameters()`` returns the nested dict of every array
    member; ``trainable_parameters()`` leaves out the frozen ones.
    """

    __call__: Callable

    def __init__(self):
        # Not dict items: bookkeeping is never a parameter.
        object.__setattr__(self, "_no_grad", set())
        object.__setattr__(self, "_training", True)

    # -- attribute access ---------------------------------------------------

    @property
    def training(self) -> bool:
        """Whether the module is in training mode."""
        return self._training

    @property
    def state(self) -> "Module":
        """The module's state dict: the module itself (a live view)."""
        return self

    def __getattr__(self, key: str):
        if key in self:
            return self[key]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {key!r}")

    def __setattr__(self, key: str, value: Any):
        if isinstance(value, (mx.array, dict, list, tuple)):
            # A plain attribute of that name would shadow the item.
            if key in self.__dict__:
                object.__delattr__(self, key)
            self[key] = value
        else:
            if key in self:
                del self[key]
            object.__setattr__(self, key, value)

    def __delattr__(self, key: str):
        if key in self:
            del self[key]
        else:
            object.__delattr__(self, key)

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = tree_flatten(self.children(), is_leaf=self.is_module)
        text = f"{type(self).__name__}({self._extra_repr()}"
        for key, child in children:
            text += "\n" + textwrap.indent(f"({key}): {child!r}", "  ")
        if children:
            text += "\n"
        return text + ")"

    # -- filters --------------------------------------------------------------

    @staticmethod
    def is_module(value) -> bool:
        return isinstance(value, Module)

    @staticmethod
    def valid_child_filter(module, key, value) -> bool:
        return isinstance(value, (dict, list))

    @staticmethod
    def valid_parameter_filter(module, key, value) -> bool:
        return (isinstance(value, (dict, list, mx.array))
                and not str(key).startswith("_"))

    @staticmethod
    def trainable_parameter_filter(module, key, value) -> bool:
        return (Module.valid_parameter_filter(module, key, value)
                and key not in module._no_grad)

    def filter_and_map(self, filter_fn: Callable, map_fn: Optional[Callable] = None,
                       is_leaf_fn: Optional[Callable] = None) -> dict:
        """The nested dict of members for which ``filter_fn(module, key,
        value)`` holds, leaves passed through ``map_fn``. ``is_leaf_fn(module,
        key, value)`` says where to stop descending (default: at anything that
        is not a Module, dict or list)."""
        map_fn = map_fn if map_fn is not None else (lambda x: x)
        is_leaf_fn = is_leaf_fn if is_leaf_fn is not None else _default_leaf
        return {k: _unwrap(self, k, v, filter_fn, map_fn, is_leaf_fn)
                for k, v in self.items() if filter_fn(self, k, v)}

    # -- views of the tree -----------------------------------------------------

    def parameters(self) -> dict:
        """All array members, recursively, as nested dicts and lists."""
        return self.filter_and_map(self.valid_parameter_filter)

    def trainable_parameters(self) -> dict:
        """The array members that are not frozen, recursively."""
        return self.filter_and_map(self.trainable_parameter_filter)

    def children(self) -> dict:
        """The direct sub-modules (inside dicts and lists too)."""
        return self.filter_and_map(self.valid_child_filter,
                                   is_leaf_fn=lambda m, k, v: isinstance(v, Module))

    def leaf_modules(self) -> dict:
        """The sub-modules that have no sub-modules themselves."""
        def is_leaf_module(m, k, v):
            return (isinstance(v, Module)
                    and not tree_flatten(v.children(), is_leaf=self.is_module))
        return self.filter_and_map(self.valid_child_filter, is_leaf_fn=is_leaf_module)

    def apply_to_modules(self, apply_fn: Callable[[str, "Module"], Any]) -> "Module":
        """Call ``apply_fn(path, module)`` on this module and every sub-module,
        depth first, parents before children."""
        stack = [("", self)]
        while stack:
            path, module = stack.pop()
            apply_fn(path, module)
            prefix = "." + path if path else ""
            stack.extend(tree_flatten(module.children(), prefix=prefix,
                                      is_leaf=self.is_module))
        return self

    def modules(self) -> List["Module"]:
        """Every module of the tree, this one first."""
        out = []
        self.apply_to_modules(lambda path, m: out.append(m))
        return out

    def named_modules(self) -> List[Tuple[str, "Module"]]:
        """``(path, module)`` for every module of the tree, this one first
        with the path ``""``."""
        out = []
        self.apply_to_modules(lambda path, m: out.append((path, m)))
        return out

    # -- updates -----------------------------------------------------------------

    def update(self, parameters: dict, strict: bool = True) -> "Module":
        """Replace array members from a nested dict/list of arrays (a subset
        of ``parameters()``). With ``strict``, unknown keys and non-array
        values raise ValueError."""
        def put(dst, key, new):
            cur = dst[key]
            if isinstance(cur, mx.array):
                if strict and not isinstance(new, mx.array):
                    raise ValueError(f"Received invalid type: {type(new).__name__}.")
                dst[key] = new
            else:
                walk(cur, new)

        def walk(dst, params):
            if isinstance(params, dict):
                for k in params:
                    if k in dst:
                        put(dst, k, params[k])
                    elif strict:
                        raise ValueError(f'Module does not have parameter named "{k}".')
            elif isinstance(params, list):
                for i in range(len(params)):
                    put(dst, i, params[i])
            elif strict:
                raise ValueError(f"Received invalid type: {type(params).__name__}.")

        walk(self, parameters)
        return self

    def update_modules(self, modules: dict, strict: bool = True) -> "Module":
        """Replace sub-modules from a nested dict/list of modules (a subset of
        ``children()``)."""
        def put(dst, key, new):
            cur = dst[key]
            if isinstance(cur, Module) and isinstance(new, Module):
                dst[key] = new
            elif isinstance(cur, (dict, list)):
                walk(cur, new)
            elif strict and new != {}:
                raise ValueError(f"Received invalid type: {type(new).__name__}.")

        def walk(dst, mods):
            if isinstance(mods, dict):
                for k in mods:
                    if k in dst:
                        put(dst, k, mods[k])
                    elif strict:
                        raise ValueError(f'Module does not have sub-module named "{k}".')
            elif isinstance(mods, list):
                for i in range(len(mods)):
                    put(dst, i, mods[i])
            elif strict:
                raise ValueError(f"Received invalid type: {type(mods).__name__}.")

        walk(self, modules)
        return self

    def apply(self, map_fn: Callable[[mx.array], mx.array],
              filter_fn: Optional[Callable] = None) -> "Module":
        """Replace every parameter p (chosen by ``filter_fn``, default all
        parameters) by ``map_fn(p)``, in place."""
        filter_fn = filter_fn if filter_fn is not None else self.valid_parameter_filter
        self.update(self.filter_and_map(filter_fn, map_fn))
        return self

    # -- freezing ------------------------------------------------------------------

    def _validate_keys(self, keys, strict):
        keys = keys if isinstance(keys, list) else [keys]
        if strict:
            for k in keys:
                if k not in self:
                    raise KeyError(f"Module doesn't contain member {k}.")
        return keys

    def _local_parameter_keys(self):
        own = self.filter_and_map(
            lambda m, k, v: not isinstance(v, Module) and m.valid_parameter_filter(m, k, v))
        return [k for k, _ in tree_flatten(own)]

    def freeze(self, *, recurse: bool = True,
               keys: Optional[Union[str, List[str]]] = None,
               strict: bool = False) -> "Module":
        """Exclude parameters from ``trainable_parameters()`` (and so from
        :func:`ember.nn.value_and_grad`): all of them, or only those named in
        ``keys`` (local names, in this module and, with ``recurse``, every
        sub-module). With ``strict``, a key a module lacks raises KeyError."""
        if isinstance(keys, str):
            keys = [keys]

        def freeze_one(path, m):
            local = keys if keys is not None else m._local_parameter_keys()
            local = m._validate_keys(local, strict)
            m._no_grad.update(local)

        if recurse:
            self.apply_to_modules(freeze_one)
        else:
            freeze_one("", self)
        return self

    def unfreeze(self, *, recurse: bool = True,
                 keys: Optional[Union[str, List[str]]] = None,
                 strict: bool = False) -> "Module":
        """Undo :meth:`freeze` for all parameters or those named in ``keys``."""
        if isinstance(keys, str):
            keys = [keys]

        def unfreeze_one(path, m):
            if keys is None:
                m._no_grad.clear()
            else:
                m._no_grad.difference_update(m._validate_keys(keys, strict))

        if recurse:
            self.apply_to_modules(unfreeze_one)
        else:
            unfreeze_one("", self)
        return self

    # -- modes and dtypes ---------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        """Set training mode (``mode``) on this module and every sub-module."""
        def set_mode(path, m):
            m._set_training_mode(mode)
        self.apply_to_modules(set_mode)
        return self

    def _set_training_mode(self, mode: bool):
        """The per-module hook of ``train`` (QQLinear re-quantizes in it)."""
        object.__setattr__(self, "_training", mode)

    def eval(self) -> "Module":
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def set_dtype(self, dtype: mx.Dtype,
                  predicate: Optional[Callable[[mx.Dtype], bool]] =
                  lambda x: mx.issubdtype(x, mx.floating)):
        """Cast the parameters whose dtype satisfies ``predicate`` (by default
        the floating ones) to ``dtype``."""
        if predicate is None:
            predicate = lambda x: True  # noqa: E731
        self.apply(lambda x: x.astype(dtype) if predicate(x.dtype) else x)

    # -- weights I/O -------------------------------------------------------------

    def load_weights(self, file_or_weights: Union[str, List[Tuple[str, mx.array]]],
                     strict: bool = True) -> "Module":
        """Set parameters from a ``.npz``/``.safetensors`` file or a list of
        ``(dotted_name, array)`` pairs. With ``strict``, the names and shapes
        must match ``parameters()`` exactly (ValueError otherwise)."""
        weights = file_or_weights
        if isinstance(weights, str):
            weights = list(mx.load(weights).items())
        weights = list(weights)
        if strict:
            new = dict(weights)
            current = dict(tree_flatten(self.parameters()))
            extra = new.keys() - current.keys()
            if extra:
                names = ",\n".join(sorted(extra))
                raise ValueError(f"Received {len(extra)} parameters not in model: \n{names}.")
            missing = current.keys() - new.keys()
            if missing:
                names = ",\n".join(sorted(missing))
                raise ValueError(f"Missing {len(missing)} parameters: \n{names}.")
            for k, v in current.items():
                w = new[k]
                if not isinstance(w, mx.array):
                    raise ValueError(f"Expected mx.array but received {type(w)} for parameter {k}")
                if w.shape != v.shape:
                    raise ValueError(f"Expected shape {v.shape} but received shape "
                                     f"{w.shape} for parameter {k}")
        if weights:
            self.update(tree_unflatten(weights), strict=False)
        return self

    def save_weights(self, file: str):
        """Write ``parameters()`` to ``file``, a ``.npz`` or ``.safetensors``
        path, under their dotted names."""
        flat = dict(tree_flatten(self.parameters()))
        if file.endswith(".npz"):
            mx.savez(file, **flat)
        elif file.endswith(".safetensors"):
            mx.save_safetensors(file, flat)
        else:
            raise ValueError(f"Unsupported file extension for {file}. "
                             "Use '.npz' or '.safetensors'.")
