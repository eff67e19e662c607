"""pingan's places index and Nominatim 5 on one extract, the same queries,
one run. Called by scripts/bench-places (which sets up the tools); prints a
Markdown table with each figure for both and their ratio.

Reference sets come from the extract's own tags, read here with pyosmium
(not by pingan's importer): every address point (`addr:housenumber` with
`addr:street`, on nodes and on ways at their nodes' mean), and every pair of
differently named highways that share a node (a crossing)."""

import argparse
import asyncio
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from math import asin, cos, radians, sin, sqrt
from pathlib import Path

import osmium

SAMPLE_ADDRESSES = 1000
SAMPLE_CROSSINGS = 500
KEYSTROKE_LABELS = 150


def meters(a, b):
    (la1, lo1), (la2, lo2) = a, b
    p1, p2 = radians(la1), radians(la2)
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lo2 - lo1) / 2) ** 2
    return 2 * 6371008.8 * asin(sqrt(h))


class References(osmium.SimpleHandler):
    def __init__(self):
        super().__init__()
        self.addresses = []  # (street, number, town, lat, lon)
        self.node_streets = {}  # node id -> set of highway names
        self.node_at = {}

    def _address(self, tags, lat, lon):
        n, s = tags.get("addr:housenumber"), tags.get("addr:street")
        if n and s:
            self.addresses.append((s, n, tags.get("addr:city") or tags.get("addr:place") or "", lat, lon))

    def node(self, n):
        if n.location.valid():
            self._address(n.tags, n.location.lat, n.location.lon)

    def way(self, w):
        pts = [(nd.location.lat, nd.location.lon) for nd in w.nodes if nd.location.valid()]
        if not pts:
            return
        if "addr:housenumber" in w.tags:
            k = len(pts) - 1 if len(pts) > 1 and pts[0] == pts[-1] else len(pts)
            self._address(w.tags, sum(p[0] for p in pts[:k]) / k, sum(p[1] for p in pts[:k]) / k)
        name = w.tags.get("name")
        if "highway" in w.tags and name:
            for nd in w.nodes:
                if nd.location.valid():
                    self.node_streets.setdefault(nd.ref, set()).add(name)
                    self.node_at[nd.ref] = (nd.location.lat, nd.location.lon)


def references(pbf):
    r = References()
    r.apply_file(str(pbf), locations=True)
    crossings = {}
    for node, names in r.node_streets.items():
        names = sorted(names)
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                crossings.setdefault((names[i], names[j]), []).append(r.node_at[node])
    return r.addresses, crossings


def split_address(text):
    main, comma, town = text.partition(", ")
    street, _, number = main.rpartition(" ")
    return street, number, comma + town


def edit_word(w, rng, first_too):
    k = rng.randrange(0 if first_too else 1, len(w))
    c = chr(ord("a") + rng.randrange(26))
    op = rng.randrange(3)
    if op == 0:
        return w[:k] + c + w[k + 1:]
    if op == 1:
        return w[:k] + w[k + 1:]
    return w[:k] + c + w[k:]


def one_edit(text, rng):
    """One random edit (replace, drop or insert a letter) in a word of five
    letters or more of the street's name, not its first letter: the typo
    rule of the issue (pingan's own accuracy test edits the same way)."""
    street, number, town = split_address(text)
    words = street.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if long:
        i = rng.choice(long)
        words[i] = edit_word(words[i], rng, False)
    return f"{' '.join(words)} {number}{town}"


def one_edit_anywhere(text, rng):
    """One random edit at any letter of the street's name, short words and
    first letters included (harder than the issue's rule)."""
    street, number, town = split_address(text)
    words = street.split(" ")
    letters = [i for i, w in enumerate(words) if any(c.isalpha() for c in w)]
    if letters:
        i = rng.choice(letters)
        words[i] = edit_word(words[i], rng, True)
    return f"{' '.join(words)} {number}{town}"


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * q))]


def peak_run(cmd, env=None):
    """Runs a command; its wall seconds and the peak resident memory (MB) of
    it and every process it waited for, measured by a fresh parent."""
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", probe, *map(str, cmd)], check=True, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, int(out.stdout.strip()) / 1024


def run_pingan(pingan, places, args, lines):
    """Runs `pingan places search|reverse … --timings` on a file of lines; answers in order."""
    f = places.with_suffix(".in")
    f.write_text("\n".join(lines) + "\n")
    out = subprocess.run([str(pingan), "places", *args, "--places", str(places), "--timings", f"--{'queries' if args[0] == 'search' else 'points'}", str(f)],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def nominatim_setup(nominatim, pbf, work):
    project = work / ("nominatim-" + pbf.name.split(".")[0])
    db = "nominatim_bench_" + pbf.name.split(".")[0].replace("-", "_")
    env = dict(os.environ, NOMINATIM_DATABASE_DSN=f"pgsql:dbname={db};host=127.0.0.1;user=postgres",
               NOMINATIM_DATABASE_WEBUSER="postgres")
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {db}"], check=True, env=env)
    seconds, peak_mb = peak_run([nominatim, "import", "--osm-file", pbf, "--project-dir", project, "--threads", "1"], env)
    size = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAq", "-c", f"SELECT pg_database_size('{db}')"],
                          check=True, env=env, capture_output=True, text=True).stdout.strip()
    return project, env, seconds, int(size), peak_mb


def start_demo(pingan, pbf, work):
    """`pingan demo` on the extract, for the HTTP figures: (process, base URL, token)."""
    data = work / ("demo-" + pbf.name.split(".")[0])
    shutil.rmtree(data, ignore_errors=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(pingan), "demo", "--osm", str(pbf), "--data-dir", str(data), "--no-simulator",
                             "--history-days", "0", "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200 and (data / "credentials.txt").exists():
                break
        except OSError:
            pass
        time.sleep(0.2)
    creds = (data / "credentials.txt").read_text()
    pw = next(line.split()[-1] for line in creds.splitlines() if line.startswith("admin "))
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/api/v1/auth/login", json.dumps({"username": "admin", "password": pw}), {"Content-Type": "application/json"})
    token = json.loads(c.getresponse().read())["token"]
    return proc, port, token


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pingan", required=True)
    ap.add_argument("--nominatim", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("pbf")
    a = ap.parse_args()
    pbf, work, pingan = Path(a.pbf).resolve(), Path(a.work), Path(a.pingan)
    rng = random.Random(110)

    addresses, crossings = references(pbf)
    if len(addresses) > SAMPLE_ADDRESSES:
        addresses = rng.sample(addresses, SAMPLE_ADDRESSES)
    pairs = sorted(crossings.items())
    if len(pairs) > SAMPLE_CROSSINGS:
        pairs = rng.sample(pairs, SAMPLE_CROSSINGS)
    # As a caller says it: the street and number, and the town where the address has one.
    typed = [f"{s} {n}, {t}" if t and t != s else f"{s} {n}" for s, n, t, _, _ in addresses]
    typo = [one_edit(q, rng) for q in typed]
    typo_any = [one_edit_anywhere(q, rng) for q in typed]
    crossing_q = [f"{x} & {y}" for (x, y), _ in pairs]
    strokes = []
    for q in rng.sample(typed, min(KEYSTROKE_LABELS, len(typed))):
        strokes += [q[:k] for k in range(2, len(q) + 1)]

    # pingan: build (wall time, peak memory of the child), then the same queries.
    places = work / (pbf.name.split(".")[0] + ".places")
    p_build, p_peak_mb = peak_run([pingan, "places", "build", pbf, "-o", places])
    p_size = places.stat().st_size
    t0 = time.perf_counter()
    subprocess.run([str(pingan), "places", "search", "--places", str(places), "--q", "x"], check=True, capture_output=True)
    p_load = time.perf_counter() - t0

    def top_ok(answers, refs, k, m):
        ok = 0
        for ans, pts in zip(answers, refs):
            if any(meters((r["lat"], r["lon"]), p) <= m for r in ans[:k] for p in pts):
                ok += 1
        return ok / max(1, len(refs))

    addr_pts = [[(lat, lon)] for _, _, _, lat, lon in addresses]
    cross_pts = [pts for _, pts in pairs]
    p = {}
    res = run_pingan(pingan, places, ["search", "--limit", "5"], typed)
    p["typed"] = top_ok([r["results"] for r in res], addr_pts, 1, 25)
    p["typed_ms"] = [r["micros"] / 1000 for r in res]
    res = run_pingan(pingan, places, ["search", "--limit", "5"], typo)
    p["typo"] = top_ok([r["results"] for r in res], addr_pts, 5, 25)
    res = run_pingan(pingan, places, ["search", "--limit", "5"], typo_any)
    p["typo_any"] = top_ok([r["results"] for r in res], addr_pts, 5, 25)
    res = run_pingan(pingan, places, ["search", "--limit", "5"], crossing_q)
    p["cross"] = top_ok([r["results"] for r in res], cross_pts, 1, 30)
    res = run_pingan(pingan, places, ["search", "--limit", "5"], strokes)
    p["stroke_ms"] = [r["micros"] / 1000 for r in res]
    res = run_pingan(pingan, places, ["reverse"], [f"{lat},{lon}" for _, _, _, lat, lon in addresses])
    p["reverse_ms"] = [r["micros"] / 1000 for r in res]
    p["reverse"] = sum(
        any(x["kind"] == "address" and x["label"].split(", ")[0] == f"{s} {n}" for x in r["results"])
        for r, (s, n, _, _, _) in zip(res, addresses)) / max(1, len(addresses))

    # pingan over loopback HTTP (the demo on this extract, keep-alive).
    proc, port, token = start_demo(pingan, pbf, work)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port)
        http_ms = []
        for q in strokes:
            t0 = time.perf_counter()
            c.request("GET", "/api/v1/places/search?" + urllib.parse.urlencode({"q": q, "limit": 5}), headers={"Authorization": "Bearer " + token})
            r = c.getresponse()
            r.read()
            http_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status == 200, r.status
    finally:
        proc.terminate()
        proc.wait()

    # Nominatim: import, then its own Python API in process (no HTTP: its best case).
    project, env, n_build, n_size, n_peak_mb = nominatim_setup(Path(a.nominatim), pbf, work)
    os.environ.update(env)
    import nominatim_api as napi

    n = {}

    async def nominatim_figures():
        async with napi.NominatimAPIAsync(project) as api:
            async def search(qs):
                out, ms = [], []
                for q in qs:
                    t0 = time.perf_counter()
                    rs = await api.search(q, max_results=5)
                    ms.append((time.perf_counter() - t0) * 1000)
                    out.append([{"lat": r.centroid.lat, "lon": r.centroid.lon} for r in rs])
                return out, ms
            ans, n["typed_ms"] = await search(typed)
            n["typed"] = top_ok(ans, addr_pts, 1, 25)
            ans, _ = await search(typo)
            n["typo"] = top_ok(ans, addr_pts, 5, 25)
            ans, _ = await search(typo_any)
            n["typo_any"] = top_ok(ans, addr_pts, 5, 25)
            ans, _ = await search(crossing_q)
            n["cross"] = top_ok(ans, cross_pts, 1, 30)
            _, n["stroke_ms"] = await search(strokes)
            ok, ms = 0, []
            for s, num, _, lat, lon in addresses:
                t0 = time.perf_counter()
                r = await api.reverse(napi.Point(lon, lat), address_details=True)
                ms.append((time.perf_counter() - t0) * 1000)
                if r is not None and r.housenumber == num:
                    streets = {v for row in (r.address_rows or []) for v in (row.names or {}).values()}
                    streets |= set((r.names or {}).values())
                    ok += s in streets or any(row.local_name == s for row in (r.address_rows or []))
            n["reverse_ms"], n["reverse"] = ms, ok / max(1, len(addresses))

    asyncio.run(nominatim_figures())

    def ratio(x, y):
        return f"{x / y:.3g}" if y else "—"


    rows = [
        ("build, s", p_build, n_build, "s"),
        ("build peak memory, MB (the builder and its children; PostgreSQL's own processes not counted)", p_peak_mb, n_peak_mb, "f"),
        ("index size, MB (file; database)", p_size / 1e6, n_size / 1e6, "f"),
        ("load, s (pingan: process start, read, one query)", p_load, float("nan"), "s"),
        (f"keystroke p50, ms ({len(strokes)} prefixes)", statistics.median(p["stroke_ms"]), statistics.median(n["stroke_ms"]), "ms"),
        ("keystroke p99, ms", pct(p["stroke_ms"], 0.99), pct(n["stroke_ms"], 0.99), "ms"),
        ("keystroke p99 over loopback HTTP, ms (pingan demo; Nominatim in process)", pct(http_ms, 0.99), pct(n["stroke_ms"], 0.99), "ms"),
        ("full address p50, ms", statistics.median(p["typed_ms"]), statistics.median(n["typed_ms"]), "ms"),
        ("reverse p50, ms", statistics.median(p["reverse_ms"]), statistics.median(n["reverse_ms"]), "ms"),
        ("reverse p99, ms", pct(p["reverse_ms"], 0.99), pct(n["reverse_ms"], 0.99), "ms"),
        (f"address as typed, top 1 within 25 m ({len(typed)})", p["typed"], n["typed"], "%"),
        ("one edit in the street (a word of 5+ letters, not its first), top 5 within 25 m", p["typo"], n["typo"], "%"),
        ("one edit anywhere in the street, top 5 within 25 m", p["typo_any"], n["typo_any"], "%"),
        (f"crossing \"A & B\", top 1 within 30 m ({len(crossing_q)})", p["cross"], n["cross"], "%"),
        ("reverse at an address names its street and number", p["reverse"], n["reverse"], "%"),
    ]
    print(f"\n### {pbf.name}: pingan vs Nominatim {napi.__version__ if hasattr(napi, '__version__') else '5'}\n")
    print(f"machine: {os.cpu_count()} cores, {os.uname().release}; command: scripts/bench-places {pbf.name}\n")
    print("| figure | pingan | Nominatim | pingan / Nominatim |")
    print("|---|---|---|---|")
    for name, x, y, unit in rows:
        if unit == "%":
            print(f"| {name} | {x:.1%} | {y:.1%} | {ratio(x, y)} |")
        elif y != y:  # NaN: the figure has no counterpart
            print(f"| {name} | {x:.3g} | — | — |")
        else:
            print(f"| {name} | {x:.3g} | {y:.3g} | {ratio(x, y)} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
