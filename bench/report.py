"""The Markdown report and its PNG plots, from the workers' JSON results."""
import ast
import math
import os

PEER_ORDER = ("ember", "c", "numpy", "mlx", "jax", "torch")


def human_t(t):
    if t is None or t != t:
        return "-"
    for unit, k in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if t >= k:
            return f"{t / k:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def _rate(row, t):
    if not t:
        return None
    if row["unit"] == "GFLOP/s" and row.get("flops"):
        return row["flops"] / t / 1e9
    if row["unit"] == "GB/s" and row.get("bytes"):
        return row["bytes"] / t / 1e9
    return None


def _fws(rows):
    seen = set()
    for r in rows:
        seen.update(r.get("results", {}))
        seen.update(r.get("missing", {}))
    return [f for f in PEER_ORDER if f in seen]


def _ref(rows, want):
    """The case's reference framework, or the first with results (e.g. on a GPU,
    where ember has no column)."""
    have = [f for f in _fws(rows) if any("median" in r.get("results", {}).get(f, {}) for r in rows)]
    if want in have:
        return want
    return next((f for f in ("torch", "jax", "numpy", "mlx") if f in have), None)


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def case_table(name, runs):
    """runs: [(threads, rows of this case)]."""
    rows_all = [r for _, rows in runs for r in rows]
    fws = _fws(rows_all)
    ref = _ref(rows_all, rows_all[0].get("ref", "ember"))
    unit = rows_all[0]["unit"]
    peers = [f for f in fws if f != ref and any("median" in r.get("results", {}).get(f, {}) for r in rows_all)]
    head = ["threads", "size"] + fws + ([f"{ref} {unit}"] if unit != "ns" else []) + [f"{ref} vs {p}" for p in peers]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t, rows in runs:
        for r in rows:
            res = r.get("results", {})
            cells = [str(t), r["label"]]
            for f in fws:
                v = res.get(f)
                if v is None:
                    cells.append("n/a" if f in r.get("missing", {}) else "-")
                elif "median" in v:
                    cells.append(f"{human_t(v['median'])} ±{100 * v['spread']:.0f}%")
                else:
                    cells.append("error")
            rt = res.get(ref, {}).get("median")
            if unit != "ns":
                rate = _rate(r, rt)
                cells.append(f"{rate:.3g}" if rate else "-")
            for p in peers:
                pt = res.get(p, {}).get("median")
                cells.append(f"{pt / rt:.2f}x" if pt and rt else "-")
            out.append("| " + " | ".join(cells) + " |")
    notes = {}
    for r in rows_all:
        for f, why in r.get("missing", {}).items():
            notes[f] = why
        for f, v in r.get("results", {}).items():
            if "error" in v:
                notes[f] = "error: " + v["error"]
    if notes:
        out.append("")
        out.append("n/a / errors: " + "; ".join(f"{f}: {w}" for f, w in sorted(notes.items())) + ".")
    checked = [r for r in rows_all if r.get("check")]
    if checked:
        bad = sorted({f"{f} at {r['label']}: {v}" for r in checked for f, v in r["check"].items() if v != "ok"})
        cref = checked[0].get("check_ref")
        out.append("")
        out.append(f"Output check against {cref} (shapes, float32, values): "
                   + ("all agree." if not bad else "MISMATCH: " + "; ".join(bad) + "."))
    return out, ref


def summary(runs_by_t):
    """{group: {(t, peer): geomean of peer time / ref time}} over every size of
    every case of the group."""
    acc, refs = {}, {}
    for t, rows in runs_by_t:
        by_case = {}
        for r in rows:
            by_case.setdefault(r["case"], []).append(r)
        for name, crs in by_case.items():
            ref = _ref(crs, crs[0].get("ref", "ember"))
            if ref is None:
                continue
            g = crs[0]["group"] + (" (vs C)" if ref == "c" else "")
            refs[g] = ref
            for r in crs:
                res = r.get("results", {})
                rt = res.get(ref, {}).get("median")
                for p, v in res.items():
                    if p != ref and rt and v.get("median"):
                        acc.setdefault(g, {}).setdefault((t, p), []).append(v["median"] / rt)
    return {g: {k: (geomean(v), len(v)) for k, v in d.items()} for g, d in acc.items()}, refs


def summary_table(summ, refs, threads):
    peers = [p for p in PEER_ORDER if any(p == k[1] for d in summ.values() for k in d)]
    head = ["group", "ref"] + [f"vs {p} ({t}T)" for t in threads for p in peers]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in summ:
        cells = [g, refs[g]]
        for t in threads:
            for p in peers:
                v = summ[g].get((t, p))
                cells.append(f"{v[0]:.2f}x" if v and v[0] else "-")
        out.append("| " + " | ".join(cells) + " |")
    return out


def _x(size):
    s = ast.literal_eval(size)
    if isinstance(s, tuple):
        return s[0] * s[1] if all(isinstance(v, int) for v in s) else None
    return s


def plots(runs_by_t, outdir, cases):
    """One PNG per plotted case: rate against size, one panel per thread count,
    one line per framework (the C copy loop dashed on GB/s plots)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    os.makedirs(outdir, exist_ok=True)
    files = {}
    for case in cases:
        if not case.plot:
            continue
        fig, axes = plt.subplots(1, len(runs_by_t), figsize=(5.5 * len(runs_by_t), 4), squeeze=False)
        drew = False
        for ax, (t, rows) in zip(axes[0], runs_by_t):
            crs = [r for r in rows if r["case"] == case.name]
            copy = {r["size"]: r for r in rows if r["case"] == "copy"}
            for f in _fws(crs):
                pts = [(_x(r["size"]), _rate(r, r["results"].get(f, {}).get("median"))) for r in crs]
                pts = [(x, y) for x, y in pts if x and y]
                if len(pts) > 0:
                    ax.plot(*zip(*pts), marker="o", label=f)
                    drew = True
            if case.unit == "GB/s" and case.group != "ceiling" and copy:
                pts = [(_x(r["size"]), _rate(copy[r["size"]], copy[r["size"]]["results"].get("c", {}).get("median")))
                       for r in crs if r["size"] in copy]
                pts = [(x, y) for x, y in pts if x and y]
                if pts:
                    ax.plot(*zip(*pts), "k--", label="C copy loop")
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("elements" if case.name != "matmul" else "n (n x n matrices)")
            ax.set_ylabel(case.unit)
            ax.set_title(f"{case.name}, {t} thread{'s' if t > 1 else ''}")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
        if drew:
            path = os.path.join(outdir, f"{case.name}.png")
            fig.tight_layout()
            fig.savefig(path, dpi=80)
            files[case.name] = path
        plt.close(fig)
    return files


def write(path, header, runs_by_t, cases, device):
    threads = [t for t, _ in runs_by_t]
    stem = os.path.splitext(path)[0]
    pngs = plots(runs_by_t, stem, cases)
    import json
    os.makedirs(stem, exist_ok=True)
    with open(os.path.join(stem, "results.json"), "w") as f:   # the raw samples, to re-render or compare
        json.dump({"header": header, "runs": runs_by_t}, f)
    summ, refs = summary(runs_by_t)
    lines = list(header)
    rows = [r for _, rs in runs_by_t for r in rs]
    nchk = sum(1 for r in rows if r.get("check"))
    nbad = sum(1 for r in rows for v in (r.get("check") or {}).values() if v != "ok")
    lines.append(f"- Output check: at every case and size, each framework's result was compared with the "
                 f"reference framework's (NumPy's where it has the case; each table names its reference): {nchk} case-sizes checked, "
                 + ("all agree" if not nbad else f"{nbad} MISMATCHES (see the tables)") + ".")
    lines += ["", "## Summary", "",
              "Geometric mean, over every case and size of a group, of the peer's median time over the "
              "reference's (`ref`, ember unless ember has no column): above 1, the reference is faster. "
              "`T` is the thread count.", ""]
    lines += summary_table(summ, refs, threads)
    by_case = {}
    for t, rows in runs_by_t:
        for r in rows:
            by_case.setdefault(r["case"], {}).setdefault(t, []).append(r)
    groups = []
    for case in cases:
        if case.name not in by_case:
            continue
        if case.group not in groups:
            groups.append(case.group)
            lines += ["", f"## {case.group}"]
            if getattr(case, "module_doc", ""):
                lines += ["", case.module_doc]
        runs = [(t, by_case[case.name][t]) for t in threads if t in by_case[case.name]]
        tbl, ref = case_table(case.name, runs)
        doc = (case.note or "").strip()
        lines += ["", f"### {case.name}", ""]
        if doc:
            lines += [doc, ""]
        lines += [f"Median per op ±(interquartile range / median); `{ref} vs X` = X's time / {ref}'s.", ""]
        lines += tbl
        if case.name in pngs:
            rel = os.path.relpath(pngs[case.name], os.path.dirname(path))
            lines += ["", f"![{case.name}]({rel})"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, summary_table(summ, refs, threads)
