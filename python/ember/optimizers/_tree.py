"""Minimal tree helpers for ember.optimizers until ember.utils lands.

Trees are nested dicts, lists and tuples; anything else is a leaf.
"""


def _is_node(x):
    return isinstance(x, (dict, list, tuple))


def tree_map(fn, tree, *rest, is_leaf=None):
    if (is_leaf is not None and is_leaf(tree)) or not _is_node(tree):
        return fn(tree, *rest)
    if isinstance(tree, dict):
        return {k: tree_map(fn, v, *[r[k] for r in rest], is_leaf=is_leaf) for k, v in tree.items()}
    out = [tree_map(fn, v, *[r[i] for r in rest], is_leaf=is_leaf) for i, v in enumerate(tree)]
    return type(tree)(out) if isinstance(tree, tuple) else out


def tree_flatten(tree, prefix="", is_leaf=None):
    if (is_leaf is not None and is_leaf(tree)) or not _is_node(tree):
        return [(prefix[1:], tree)]
    items = tree.items() if isinstance(tree, dict) else enumerate(tree)
    out = []
    for k, v in items:
        out.extend(tree_flatten(v, f"{prefix}.{k}", is_leaf))
    return out


def tree_unflatten(pairs):
    if len(pairs) == 1 and pairs[0][0] == "":
        return pairs[0][1]
    children = {}
    for key, value in pairs:
        head, _, tail = key.partition(".")
        children.setdefault(head, []).append((tail, value))
    if all(k.isdigit() for k in children):
        out = [{} for _ in range(max(int(k) for k in children) + 1)]
        for k, v in children.items():
            out[int(k)] = tree_unflatten(v)
        return out
    return {k: tree_unflatten(v) for k, v in children.items()}


def tree_reduce(fn, tree, initializer=None, is_leaf=None):
    acc = initializer
    first = initializer is None
    for _, leaf in tree_flatten(tree, is_leaf=is_leaf):
        if first:
            acc, first = leaf, False
        else:
            acc = fn(acc, leaf)
    return acc


def tree_merge(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if _is_node(a) and not a:
        return b
    if _is_node(b) and not b:
        return a
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = tree_merge(out[k], v) if k in out else v
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return type(a)(tree_merge(x, y) for x, y in zip(a, b))
    raise ValueError("[tree_merge] The trees overlap: both have a leaf at the same place.")
