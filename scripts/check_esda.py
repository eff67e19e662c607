"""Check pingan's Gi* and Moran's I against PySAL esda on the same lattice.

Usage: python scripts/check_esda.py <pingan binary> <points.csv with x,y,...> <cell metres>

Runs `pingan analyze gistar` and `pingan analyze moran`, builds the same
grid (aligned at multiples of the cell, spanning the points' bounding box,
row-major from the south-west) with numpy, and compares z scores with
esda.G_Local(y, lat2W(ny, nx, rook=False), transform='B', star=True) and
Moran's I with esda.Moran (row-standardised and binary queen weights).
Exits non-zero on any difference above 1e-8.
"""
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import esda
from libpysal.weights import lat2W

binary, path, cell = sys.argv[1], sys.argv[2], float(sys.argv[3])
gi = json.loads(subprocess.run([binary, "analyze", "gistar", "--input", path, "--cell", str(cell)],
                               check=True, capture_output=True).stdout)
df = pd.read_csv(path)
x, y = df.iloc[:, 0].to_numpy(float), df.iloc[:, 1].to_numpy(float)
c0, r0 = np.floor(x.min() / cell), np.floor(y.min() / cell)
nx = int(np.floor(x.max() / cell) - c0) + 1
ny = int(np.floor(y.max() / cell) - r0) + 1
col = (np.floor(x / cell) - c0).astype(int)
row = (np.floor(y / cell) - r0).astype(int)
counts = np.bincount(row * nx + col, minlength=nx * ny).astype(float)

grid = gi["grid"]
assert (grid["nx"], grid["ny"]) == (nx, ny), (grid, nx, ny)
feats = gi["features"]
assert len(feats) == nx * ny, (len(feats), nx * ny)
ours_count = np.array([f["properties"]["count"] for f in feats], float)
ours_z = np.array([f["properties"]["z"] for f in feats], float)
assert np.array_equal(ours_count, counts), "counts differ"

w = lat2W(ny, nx, rook=False)
g = esda.G_Local(counts, w, transform="B", star=True, permutations=0)
dz = np.max(np.abs(g.Zs - ours_z))
dp = np.max(np.abs(2 * g.p_norm - np.array([f["properties"]["p"] for f in feats], float)))
print(f"Gi*: {nx}x{ny} cells, {int(counts.sum())} points; max |z - esda z| = {dz:.2e}; max |p - 2 p_norm| = {dp:.2e}")
ok = dz < 1e-8 and dp < 1e-8

for t in ("r", "b"):
    m = json.loads(subprocess.run([binary, "analyze", "moran", "--input", path, "--cell", str(cell), "--transform", t],
                                  check=True, capture_output=True).stdout)["moran"]
    w2 = lat2W(ny, nx, rook=False)
    e = esda.Moran(counts, w2, transformation=t, permutations=0)
    diffs = {k: abs(m[k] - v) for k, v in (("i", e.I), ("z_norm", e.z_norm), ("z_rand", e.z_rand),
                                            ("p_norm", e.p_norm), ("p_rand", e.p_rand))}
    print(f"Moran ({t}): I = {m['i']:.6f} (esda {e.I:.6f}); max diff {max(diffs.values()):.2e} over {sorted(diffs)}")
    ok = ok and max(diffs.values()) < 1e-8
print("agree" if ok else "DIFFER")
sys.exit(0 if ok else 1)
