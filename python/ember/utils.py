"""Tree utilities: map, flatten, unflatten, reduce and merge nested Python
containers (lists, tuples, dicts) whose leaves are usually arrays.

The semantics are mlx.utils': lists and tuples (namedtuples too) and dicts
are inner nodes, anything else is a leaf unless ``is_leaf`` says otherwise;
flattened paths join keys and indices with dots.
"""
from itertools import zip_longest
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

__all__ = ["tree_map", "tree_map_with_path", "tree_flatten", "tree_unflatten",
           "tree_reduce", "tree_merge"]


def _is_seq(x):
    return isinstance(x, (list, tuple))


def _rebuild(proto, items):
    """A sequence of proto's type holding items (namedtuples take fields)."""
    if hasattr(proto, "_fields"):
        return type(proto)(*items)
    return type(proto)(items)


def tree_map(fn: Callable, tree: Any, *rest: Any,
             is_leaf: Optional[Callable] = None) -> Any:
    """Apply ``fn`` to the leaves of ``tree`` and return a tree of the same
    structure. Leaves at the same places of the trees in ``rest`` are passed
    as extra arguments; ``rest`` must contain ``tree``'s structure (it may hold
    more)."""
    if is_leaf is not None and is_leaf(tree):
        return fn(tree, *rest)
    if _is_seq(tree):
        return _rebuild(tree, [
            tree_map(fn, child, *(r[i] for r in rest), is_leaf=is_leaf)
            for i, child in enumerate(tree)])
    if isinstance(tree, dict):
        return {k: tree_map(fn, child, *(r[k] for r in rest), is_leaf=is_leaf)
                for k, child in tree.items()}
    return fn(tree, *rest)


def tree_map_with_path(fn: Callable, tree: Any, *rest: Any,
                       is_leaf: Optional[Callable] = None,
                       path: Optional[Any] = None) -> Any:
    """Like :func:`tree_map`, but ``fn`` receives the leaf's dotted path first:
    ``fn(path, leaf, *rest_leaves)``. ``path`` prefixes every path."""
    if is_leaf is not None and is_leaf(tree):
        return fn(path, tree, *rest)
    head = f"{path}." if path else ""
    if _is_seq(tree):
        return _rebuild(tree, [
            tree_map_with_path(fn, child, *(r[i] for r in rest),
                               is_leaf=is_leaf, path=f"{head}{i}")
            for i, child in enumerate(tree)])
    if isinstance(tree, dict):
        return {k: tree_map_with_path(fn, child, *(r[k] for r in rest),
                                      is_leaf=is_leaf, path=f"{head}{k}")
                for k, child in tree.items()}
    return fn(path, tree, *rest)


def tree_flatten(tree: Any, prefix: str = "",
                 is_leaf: Optional[Callable] = None,
                 destination: Union[List[Tuple[str, Any]], Dict[str, Any], None] = None
                 ) -> Union[List[Tuple[str, Any]], Dict[str, Any]]:
    """Flatten ``tree`` into ``(path, leaf)`` pairs, paths joined by dots.

    The result goes into ``destination`` (a list, extended, or a dict,
    updated) and is returned. As in MLX, the first character of ``prefix`` is
    dropped, so ``prefix="x"`` gives paths starting with ``"."``; empty
    containers contribute nothing.
    """
    if destination is None:
        destination = []
    if isinstance(destination, dict):
        add = destination.__setitem__
    else:
        add = lambda k, v: destination.append((k, v))  # noqa: E731

    stack = [(prefix, tree)]
    while stack:
        pre, node = stack.pop()
        if not (is_leaf is not None and is_leaf(node)):
            if _is_seq(node):
                stack.extend((f"{pre}.{i}", c) for i, c in reversed(list(enumerate(node))))
                continue
            if isinstance(node, dict):
                stack.extend((f"{pre}.{k}", c) for k, c in reversed(list(node.items())))
                continue
        add(pre[1:], node)
    return destination


def _unflatten_pairs(pairs):
    if pairs[0][0] == "":
        if len(pairs) == 1:
            return pairs[0][1]
        if all(k == "" for k, _ in pairs):
            raise ValueError("[tree_unflatten] the same path appears more than once")
    groups = {}
    for key, value in pairs:
        head, _, tail = key.partition(".")
        groups.setdefault(head, []).append((tail, value))
    first = next(iter(groups), None)
    if first is not None and first.isdigit():
        indexed = {int(k): _unflatten_pairs(v) for k, v in groups.items()}
        out = [{} for _ in range(max(indexed) + 1)]
        for i, v in indexed.items():
            out[i] = v
        return out
    return {k: _unflatten_pairs(v) for k, v in groups.items()}


def tree_unflatten(tree: Union[List[Tuple[str, Any]], Dict[str, Any]]) -> Any:
    """Rebuild a nested tree from ``(path, leaf)`` pairs or a flat dict, the
    inverse of :func:`tree_flatten`. A level whose first key is a number
    becomes a list (missing indices hold empty dicts), else a dict."""
    pairs = list(tree.items()) if isinstance(tree, dict) else list(tree)
    if not pairs:
        return []
    return _unflatten_pairs(pairs)


def tree_reduce(fn, tree, initializer=None, is_leaf=None):
    """Fold the leaves of ``tree`` left to right with ``fn(acc, leaf)``,
    starting from ``initializer`` (or the first leaf when it is None)."""
    acc = initializer
    for _, leaf in tree_flatten(tree, is_leaf=is_leaf):
        acc = leaf if acc is None else fn(acc, leaf)
    return acc


def tree_merge(tree_a, tree_b, merge_fn=None):
    """Merge two trees into one holding the leaves of both, like a deep
    ``dict.update``. None and empty containers are empty subtrees; a place
    holding a leaf in both trees is resolved by ``merge_fn(a, b)``, or raises
    ValueError when none is given."""
    empty_a = isinstance(tree_a, (dict, list, tuple)) and len(tree_a) == 0
    empty_b = isinstance(tree_b, (dict, list, tuple)) and len(tree_b) == 0
    if empty_a and empty_b:
        if type(tree_a) is not type(tree_b):
            raise ValueError(f"Cannot merge {type(tree_a).__name__} with "
                             f"{type(tree_b).__name__}")
        return type(tree_a)()
    if empty_a:
        tree_a = None
    if empty_b:
        tree_b = None
    if tree_a is None and tree_b is not None:
        return tree_b
    if tree_b is None and tree_a is not None:
        return tree_a
    if _is_seq(tree_a) and _is_seq(tree_b):
        return _rebuild(tree_a, [tree_merge(a, b, merge_fn)
                                 for a, b in zip_longest(tree_a, tree_b)])
    if isinstance(tree_a, dict) and isinstance(tree_b, dict):
        keys = list(tree_a) + [k for k in tree_b if k not in tree_a]
        return {k: tree_merge(tree_a.get(k), tree_b.get(k), merge_fn) for k in keys}
    if merge_fn is None:
        raise ValueError("Trees contain elements at the same locations but no "
                         "merge function was provided")
    return merge_fn(tree_a, tree_b)
