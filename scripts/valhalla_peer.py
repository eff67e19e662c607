#!/usr/bin/env python3
"""Valhalla (pyvalhalla, in process, one thread) as the road engine's peer.

  valhalla_peer.py bench   --pbf F --points points.csv --work DIR   -> JSON timings
  valhalla_peer.py compare --pbf F --pingan BIN --graph G --work DIR [--pairs N] [--seed S]
                                                                   -> relative time differences

Run with Python >= 3.12 and `pip install pyvalhalla==3.9.1` (scripts/peer-env does both).
"""
import argparse, csv, json, os, random, statistics, subprocess, sys, tempfile, time
from pathlib import Path

import valhalla


def build_tiles(pbf: Path, work: Path):
    tiles = work / "valhalla_tiles"
    tiles.mkdir(parents=True, exist_ok=True)
    extract = work / "valhalla_tiles.tar"
    extract.touch()
    config = valhalla.get_config(tile_dir=str(tiles), tile_extract=str(extract))
    config["mjolnir"]["tile_extract"] = ""
    config["thor"]["source_to_target_algorithm"] = "timedistancematrix"
    config["mjolnir"]["concurrency"] = 1
    config["service_limits"]["auto"]["max_matrix_location_pairs"] = 100000
    config["service_limits"]["auto"]["max_matrix_distance"] = 1000000
    config["service_limits"]["max_exclude_locations"] = 100000
    cfg = work / "valhalla.json"
    cfg.write_text(json.dumps(config))
    built = tiles / ".built-from"
    seconds = None
    if not built.exists() or built.read_text() != str(pbf.resolve()):
        t = time.perf_counter()
        bindir = subprocess.run([sys.executable, "-m", "valhalla", "print_bin_path"], capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run([str(Path(bindir) / "valhalla_build_tiles"), "-c", str(cfg), str(pbf)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - t
        built.write_text(str(pbf.resolve()))
    return valhalla.Actor(str(cfg)), seconds


def loc(p):
    return {"lat": p[0], "lon": p[1]}


def p50(xs):
    return statistics.median(xs)


def bench(args):
    work = Path(args.work)
    actor, build_s = build_tiles(Path(args.pbf), work)
    pts = {}
    with open(args.points) as f:
        for row in csv.DictReader(f):
            pts.setdefault(row["kind"], []).append((float(row["lat"]), float(row["lon"])))
    out = {"tile_build_s": build_s}
    route = []
    for a, b in list(zip(pts["pair_from"], pts["pair_to"]))[:300]:
        t = time.perf_counter()
        try:
            actor.route({"locations": [loc(a), loc(b)], "costing": "auto", "directions_type": "none"})
        except Exception:
            continue
        route.append((time.perf_counter() - t) * 1e3)
    out["route_ms_p50"] = p50(route)
    iso = []
    for o in pts["iso"][:60]:
        t = time.perf_counter()
        actor.isochrone({"locations": [loc(o)], "costing": "auto", "contours": [{"time": 1}, {"time": 3}, {"time": 5}], "polygons": True})
        iso.append((time.perf_counter() - t) * 1e3)
    out["isochrone_1_3_5_ms_p50"] = p50(iso)
    m1 = []
    for k in range(10):
        t = time.perf_counter()
        actor.matrix({"sources": [loc(pts["msrc"][k])], "targets": [loc(p) for p in pts["mdst"][:50]], "costing": "auto"})
        m1.append((time.perf_counter() - t) * 1e3)
    out["matrix_1x50_ms_p50"] = p50(m1)
    big = []
    for _ in range(3):
        t = time.perf_counter()
        actor.matrix({"sources": [loc(p) for p in pts["msrc"]], "targets": [loc(p) for p in pts["mdst"]], "costing": "auto"})
        big.append((time.perf_counter() - t) * 1e3)
    out["matrix_20x2000_ms_p50"] = p50(big)
    print(json.dumps(out))


def compare(args):
    work = Path(args.work)
    actor, _ = build_tiles(Path(args.pbf), work)
    rng = random.Random(args.seed)
    # Random pairs within the central half of the extract's road area, 1-15 km apart.
    info = json.loads(subprocess.run([args.pingan, "roads", "info", "--graph", args.graph], capture_output=True, check=True, text=True).stdout)
    lat0, lat1, lon0, lon1 = args.bbox
    pairs = []
    while len(pairs) < args.pairs:
        a = (rng.uniform(lat0, lat1), rng.uniform(lon0, lon1))
        b = (rng.uniform(lat0, lat1), rng.uniform(lon0, lon1))
        pairs.append((a, b))
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        f.write("from_lat,from_lon,to_lat,to_lon\n")
        for a, b in pairs:
            f.write(f"{a[0]:.6f},{a[1]:.6f},{b[0]:.6f},{b[1]:.6f}\n")
        pairs_csv = f.name
    res = subprocess.run([args.pingan, "roads", "table", "--graph", args.graph, "--pairs", pairs_csv], capture_output=True, check=True, text=True)
    ours = [row for row in csv.DictReader(res.stdout.splitlines())]
    rel, signed, skipped = [], [], 0
    for (a, b), row in zip(pairs, ours):
        if not row["seconds"]:
            skipped += 1
            continue
        try:
            r = actor.route({"locations": [loc(a), loc(b)], "costing": "auto", "directions_type": "none"})
        except Exception:
            skipped += 1
            continue
        theirs = r["trip"]["summary"]["time"]
        if theirs < 60:
            skipped += 1
            continue
        d = (float(row["seconds"]) - theirs) / theirs
        signed.append(d)
        rel.append(abs(d))
    rel.sort()
    q = lambda xs, p: xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]
    print(json.dumps({
        "graph_nodes": info["nodes"], "pairs": len(rel), "skipped": skipped,
        "median_abs_rel_diff": q(rel, 0.5), "p90_abs_rel_diff": q(rel, 0.9),
        "median_signed_rel_diff": statistics.median(signed),
    }))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench")
    b.add_argument("--pbf", required=True)
    b.add_argument("--points", required=True)
    b.add_argument("--work", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--pbf", required=True)
    c.add_argument("--pingan", required=True)
    c.add_argument("--graph", required=True)
    c.add_argument("--work", required=True)
    c.add_argument("--pairs", type=int, default=300)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--bbox", type=float, nargs=4, default=[41.10, 41.25, -8.70, -8.52], metavar=("LAT0", "LAT1", "LON0", "LON1"))
    args = ap.parse_args()
    bench(args) if args.cmd == "bench" else compare(args)


if __name__ == "__main__":
    main()
