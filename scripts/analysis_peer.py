"""Peers for scripts/bench-analysis: hand-vectorised numpy versions of
pingan's Gi*, Knox and linkage scoring (and PySAL esda's Gi*), each timed on
its core computation (data already in memory, best of N) and printing the
same digest as `pingan analyze bench`, so results can be compared.

Usage:
  analysis_peer.py gistar <points.csv> <cell> [--esda]
  analysis_peer.py knox <points.csv> <space_band> <space_bands> <time_band> <time_bands> <permutations>
  analysis_peer.py linkage <cases.csv> <model.json> <max_distance> <max_gap_days>
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

DAY = 86400


def best(f, repeat=5):
    t_best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def gistar(path, cell, use_esda):
    df = pd.read_csv(path)
    x, y = df["x"].to_numpy(float), df["y"].to_numpy(float)

    def numpy_gi():
        c0, r0 = np.floor(x.min() / cell), np.floor(y.min() / cell)
        nx = int(np.floor(x.max() / cell) - c0) + 1
        ny = int(np.floor(y.max() / cell) - r0) + 1
        col = (np.floor(x / cell) - c0).astype(np.int64)
        row = (np.floor(y / cell) - r0).astype(np.int64)
        yv = np.bincount(row * nx + col, minlength=nx * ny).astype(float).reshape(ny, nx)
        p = np.pad(yv, 1)
        ones = np.pad(np.ones_like(yv), 1)
        lag = np.zeros_like(yv)
        card = np.zeros_like(yv)
        for dr in range(3):
            for dc in range(3):
                lag += p[dr:dr + ny, dc:dc + nx]
                card += ones[dr:dr + ny, dc:dc + nx]
        n = yv.size
        mean = yv.mean()
        s = np.sqrt((yv ** 2).mean() - mean ** 2)
        z = (lag - mean * card) / (s * np.sqrt(card * (n - card) / (n - 1)))
        return z.ravel(), (ny, nx), yv.ravel()

    t, (z, shape, counts) = best(numpy_gi, repeat=20)
    zf = z[np.isfinite(z)]
    out = {"peer": "numpy", "seconds": t, "result": {"cells": int(z.size), "sum_z": float(zf.sum()),
                                                      "sum_abs_z": float(np.abs(zf).sum()), "max_z": float(zf.max())}}
    print(json.dumps(out))
    if use_esda:
        import esda
        from libpysal.weights import lat2W
        w = lat2W(shape[0], shape[1], rook=False)
        t, g = best(lambda: esda.G_Local(counts, w, transform="B", star=True, permutations=0), repeat=1)
        ze = g.Zs[np.isfinite(g.Zs)]
        print(json.dumps({"peer": "esda", "seconds": t, "result": {"cells": int(g.Zs.size), "sum_z": float(ze.sum()),
                          "sum_abs_z": float(np.abs(ze).sum()), "max_z": float(ze.max())}}))


def knox(path, sb, sn, tb, tn, perms):
    df = pd.read_csv(path)
    xy = df[["x", "y"]].to_numpy(np.float32).astype(float)  # single precision, as the NRC
    days = (pd.to_datetime(df["date"]) - pd.Timestamp("1970-01-01")).dt.days.to_numpy()
    rng = np.random.default_rng(1)

    def run():
        reach = sb * sn
        pairs = cKDTree(xy).query_pairs(r=reach, output_type="ndarray")
        i, j = pairs[:, 0], pairs[:, 1]
        d = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
        keep = d < reach
        i, j, d = i[keep], j[keep], d[keep]
        row = np.where(d == 0, 0, 1 + np.floor(d / sb).astype(np.int64))
        cols = tn + 1
        t = days - days.min()
        hist = np.bincount(t)
        # Column totals over all pairs from the day histogram.
        span = hist.size
        gaps = np.correlate(hist, hist, mode="full")[span - 1:].astype(np.int64)
        gaps[0] = (hist * (hist - 1) // 2).sum()
        band = np.minimum(np.arange(span) // tb, tn)
        col_total = np.bincount(band, weights=gaps, minlength=cols)

        def table(tt):
            col = np.minimum(np.abs(tt[i] - tt[j]) // tb, tn)
            near = np.bincount(row * cols + col, minlength=(sn + 1) * cols).reshape(sn + 1, cols)
            return np.vstack([near, col_total - near.sum(axis=0)])

        observed = table(t)
        ge = np.zeros_like(observed, dtype=np.int64)
        total = np.zeros_like(observed, dtype=np.float64)
        for _ in range(perms):
            e = table(rng.permutation(t))
            ge += e >= observed
            total += e
        return observed.astype(np.int64), len(i)

    t, (obs, near) = best(run, repeat=3)
    print(json.dumps({"peer": "numpy", "seconds": t, "result": {"observed": obs.tolist(), "near_pairs": int(near)}}))


def linkage(path, model_path, max_distance, max_gap_days):
    df = pd.read_csv(path)
    tables = json.load(open(model_path))
    xy = df[["x", "y"]].to_numpy(float)
    parse = lambda c: ((pd.to_datetime(df[c]) - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1)).to_numpy(np.int64)
    frm, to = parse("time_from"), parse("time_to")
    attrs = [df[c].astype(str).where(df[c].notna(), None).to_numpy(object) for c in df.columns[5:]]
    codes = []
    for a in attrs:
        _, inv = np.unique(np.where(a == None, "\0", a).astype(str), return_inverse=True)  # noqa: E711
        codes.append((inv, a == None))  # noqa: E711

    def run():
        pairs = cKDTree(xy).query_pairs(r=max_distance, output_type="ndarray")
        i, j = pairs[:, 0], pairs[:, 1]
        d = np.hypot(xy[i, 0] - xy[j, 0], xy[i, 1] - xy[j, 1])
        gap_min = np.maximum(np.maximum(frm[i], frm[j]) - np.minimum(to[i], to[j]), 0)
        keep = (d < max_distance) & (gap_min <= max_gap_days * DAY)
        i, j, d = i[keep], j[keep], d[keep]
        a, b, c, e = frm[i].astype(float), to[i].astype(float), frm[j].astype(float), to[j].astype(float)
        w1, w2 = b - a, e - c
        gap = np.abs((a + b) / 2 - (c + e) / 2)
        disjoint = (b <= c) | (e <= a) | ((w1 < 60) & (w2 < 60))
        point = ~disjoint & ((w1 < 60) | (w2 < 60))
        x = np.where(w1 < 60, (a + b) / 2, (c + e) / 2)
        lo, hi = np.where(w1 < 60, c, a), np.where(w1 < 60, e, b)
        inside = (x > lo) & (x < hi)
        with np.errstate(divide="ignore", invalid="ignore"):
            pv = np.where(inside, ((x - lo) ** 2 + (hi - x) ** 2) / (2 * (hi - lo)), np.abs(x - (lo + hi) / 2))
            o = np.minimum(a, c)
            A, B, C, D = a - o, b - o, c - o, e - o
            G = lambda p, q: np.abs(p - q) ** 3 / 6
            ov = -(G(B, D) - G(B, C) - G(A, D) + G(A, C)) / (w1 * w2)
        gap = np.where(disjoint, gap, np.where(point, pv, ov)) / DAY
        mid_i = frm[i] + (to[i] - frm[i]) // 2
        mid_j = frm[j] + (to[j] - frm[j]) // 2
        short12 = ((to[i] - frm[i]) <= 12 * 3600) & ((to[j] - frm[j]) <= 12 * 3600)
        hi_, hj = (mid_i % DAY) / 3600, (mid_j % DAY) / 3600
        hd = np.mod(hi_ - hj, 24.0)
        hour = np.where(short12, np.minimum(hd, 24 - hd), np.nan)
        short24 = ((to[i] - frm[i]) <= DAY) & ((to[j] - frm[j]) <= DAY)
        wi = np.floor(np.mod(mid_i / DAY + 3, 7))
        wj = np.floor(np.mod(mid_j / DAY + 3, 7))
        wd = np.mod(wi - wj, 7.0)
        week = np.where(short24, np.minimum(wd, 7 - wd), np.nan)
        values = [d, gap, hour, week, np.full(d.size, np.nan)]
        for inv, missing in codes:
            m = missing[i] | missing[j]
            values.append(np.where(m, np.nan, (inv[i] == inv[j]).astype(float)))
        score = np.zeros(d.size)
        for v, tab in zip(values, tables):
            edges, llr = np.asarray(tab["edges"], float), np.asarray(tab["llr"], float)
            idx = np.searchsorted(edges, v, side="left")
            idx = np.where(np.isnan(v), edges.size + 1, idx)
            score += llr[idx]
        return score

    t, s = best(run)
    print(json.dumps({"peer": "numpy", "seconds": t, "result": {"pairs": int(s.size), "sum_score": float(s.sum()),
                                                                 "max_score": float(s.max())}}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "gistar":
        gistar(sys.argv[2], float(sys.argv[3]), "--esda" in sys.argv)
    elif cmd == "knox":
        knox(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
    elif cmd == "linkage":
        linkage(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
    else:
        sys.exit(__doc__)
