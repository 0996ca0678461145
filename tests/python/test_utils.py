"""ember.utils: tree utilities; expected values are what mlx.utils 0.32 gives."""
from collections import namedtuple

import numpy as np
import pytest

import ember.core as mx
from ember.utils import (tree_flatten, tree_map, tree_map_with_path, tree_merge,
                         tree_reduce, tree_unflatten)

TREE = {"a": [1, (2, 3)], "b": {"c": 4, "d": []}, "e": None}


def test_flatten():
    assert tree_flatten(TREE) == [("a.0", 1), ("a.1.0", 2), ("a.1.1", 3), ("b.c", 4), ("e", None)]
    # MLX drops the first character of the prefix
    assert tree_flatten(TREE, prefix="x")[0] == (".a.0", 1)
    assert tree_flatten([1, 2]) == [("0", 1), ("1", 2)]
    assert tree_flatten(5) == [("", 5)]
    assert tree_flatten(5, prefix="p") == [("", 5)]
    assert tree_flatten({"a": {}, "b": []}) == []
    assert tree_flatten({1: 2}) == [("1", 2)]
    assert tree_flatten(TREE, destination={}) == {"a.0": 1, "a.1.0": 2, "a.1.1": 3,
                                                   "b.c": 4, "e": None}
    dest = [("z", 0)]
    assert tree_flatten([7], destination=dest) is dest and dest == [("z", 0), ("0", 7)]
    assert tree_flatten([1, [2, 3]], is_leaf=lambda x: isinstance(x, list) and len(x) == 2
                        and x[0] == 2) == [("0", 1), ("1", [2, 3])]


def test_flatten_deep_tree_does_not_recurse():
    t = 0
    for _ in range(5000):
        t = [t]
    (k, v), = tree_flatten(t)
    assert v == 0 and k.count("0") == 5000


def test_unflatten():
    assert tree_unflatten([("a.0", 1), ("a.1.0", 2), ("b.c", 3)]) == {"a": [1, [2]], "b": {"c": 3}}
    assert tree_unflatten({"a.0": 1, "b": 2}) == {"a": [1], "b": 2}
    assert tree_unflatten([("0", 1), ("1", 2)]) == [1, 2]
    assert tree_unflatten([]) == []
    assert tree_unflatten([("", 5)]) == 5
    assert tree_unflatten([("0", 1), ("2", 3)]) == [1, {}, 3]
    assert tree_unflatten([("a.b", 1), ("a.c", 2), ("x.1", 3), ("x.0", 4)]) == \
        {"a": {"b": 1, "c": 2}, "x": [4, 3]}
    assert tree_unflatten([("a", 1), ("a.b", 2)]) == {"a": {"": 1, "b": 2}}
    with pytest.raises(ValueError):
        tree_unflatten([("a", 1), ("a", 2)])


def test_flatten_unflatten_round_trip():
    t = {"w": [mx.ones((2,)), {"k": mx.zeros((1,))}], "b": {"x": mx.array(3)}}
    back = tree_unflatten(tree_flatten(t))
    assert back.keys() == t.keys()
    assert back["w"][1]["k"] is t["w"][1]["k"]


def test_map():
    assert tree_map(lambda x, y: x + y, {"a": 1, "b": (2, 3)}, {"a": 10, "b": (20, 30)}) == \
        {"a": 11, "b": (22, 33)}
    # rest may hold more than tree
    assert tree_map(lambda x, y: (x, y), {"a": 1}, {"a": 10, "c": 5}) == {"a": (1, 10)}
    with pytest.raises(KeyError):
        tree_map(lambda x, y: x, {"a": 1, "b": 2}, {"b": 2})
    with pytest.raises(IndexError):
        tree_map(lambda x, y: x, [1, 2], [1])
    assert tree_map(lambda x: x * 2, [1, [2]],
                    is_leaf=lambda x: isinstance(x, list) and len(x) == 1) == [2, [2, 2]]
    P = namedtuple("P", "x y")
    out = tree_map(lambda x: x + 1, P(1, [2]))
    assert isinstance(out, P) and out == P(2, [3])
    a = tree_map(lambda x: x + 1, mx.array([1, 2]))
    np.testing.assert_array_equal(np.array(a), [2, 3])


def test_map_with_path():
    assert tree_map_with_path(lambda p, x: p, TREE) == \
        {"a": ["a.0", ("a.1.0", "a.1.1")], "b": {"c": "b.c", "d": []}, "e": "e"}
    assert tree_map_with_path(lambda p, x: p, [1, {"z": 2}], path="root") == \
        ["root.0", {"z": "root.1.z"}]
    assert tree_map_with_path(lambda p, x: p, 3) is None
    assert tree_map_with_path(lambda p, x, y: (p, x + y), {"a": 1}, {"a": 2}) == {"a": ("a", 3)}


def test_reduce():
    t = {"a": [1, (2, 3)], "b": {"c": 4, "d": []}}
    assert tree_reduce(lambda a, b: a + b, t, 0) == 10
    assert tree_reduce(lambda a, b: a + b, [1, 2, 3]) == 6
    assert tree_reduce(lambda a, b: a + b, 7) == 7
    assert tree_reduce(lambda a, b: a + b, []) is None
    assert tree_reduce(lambda a, b: a + [b], [1, [2]], [],
                       is_leaf=lambda x: isinstance(x, list) and len(x) == 1) == [1, [2]]
    s = tree_reduce(lambda a, b: a + b.sum(), {"x": mx.ones((3,)), "y": [mx.ones((2,))]}, 0)
    assert s.item() == 5


def test_merge():
    assert tree_merge({"a": 1, "b": [1, None]}, {"c": 2, "b": [None, 3]}) == \
        {"a": 1, "b": [1, 3], "c": 2}
    assert tree_merge(None, {"a": 1}) == {"a": 1} and tree_merge({"a": 1}, None) == {"a": 1}
    assert tree_merge(1, 2, lambda a, b: a + b) == 3
    assert tree_merge((1, None), (None, 2)) == (1, 2)
    assert tree_merge({"a": [1, {"x": 1}]}, {"a": [None, {"y": 2}]}) == {"a": [1, {"x": 1, "y": 2}]}
    assert tree_merge([], []) == [] and tree_merge({}, {"a": 1}) == {"a": 1}
    for a, b in [({"a": 1}, {"a": 2}), ([1], {"a": 1}), (1, 2), ([1, 2], [3])]:
        with pytest.raises(ValueError, match="same locations but no merge function"):
            tree_merge(a, b)
    with pytest.raises(ValueError, match="Cannot merge list with dict"):
        tree_merge([], {})
