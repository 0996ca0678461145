"""Writes einsum_paths_mlx.json: random einsum contractions (2 to 7 terms of
1 to 3 distinct letters, sizes 1 to 8, implicit or explicit output) with the
path and report MLX's einsum_path gives for them. Run with a Python that has
mlx (e.g. /tmp/oracle/bin/python tests/python/data/gen_einsum_paths.py); the
first 60 cases are kept, and every case whose path has an all-at-once step."""
import json
import os

import mlx.core as mx
import numpy as np

rng = np.random.default_rng(5)
letters = "abcdefgh"
cases = []
for _ in range(300):
    sizes = {c: int(rng.integers(1, 9)) for c in letters}
    n = int(rng.integers(2, 8))
    terms = ["".join(rng.choice(list(letters), size=int(rng.integers(1, 4)), replace=False)) for _ in range(n)]
    shapes = [[sizes[c] for c in t] for t in terms]
    subs = ",".join(terms)
    if rng.random() < 0.5:
        allc = sorted(set("".join(terms)))
        subs += "->" + "".join(c for c in allc if rng.random() < 0.4)
    path, report = mx.einsum_path(subs, *[mx.zeros(s) for s in shapes])
    cases.append({"subscripts": subs, "shapes": shapes, "path": [list(t) for t in path], "report": report})
keep = [c for i, c in enumerate(cases) if i < 60 or any(len(t) > 2 for t in c["path"])]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "einsum_paths_mlx.json")
with open(out, "w") as f:
    json.dump(keep, f, separators=(",", ":"))
print(f"wrote {len(keep)} cases to {out}")
