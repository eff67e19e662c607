"""Helpers of scripts/bench-people: a city's registers as CSV, the API
import in requests of 10,000 lines, and the timed reads (a station's first
page and the next, identity checks by ID number and by name prefix), each
a real request over loopback on one kept-alive connection.

Usage:
  bench_people.py generate <base_url> <out_dir> <residents> <floating> <rentals>
  bench_people.py import <base_url> <kind> <file.csv> [lines_per_request]
  bench_people.py reads <base_url> <out_dir> <samples>
  bench_people.py rss <pid>
"""
import http.client
import json
import os
import random
import sys
import time
import urllib.parse

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力志宇浩然子涵欣怡梓轩一诺雨泽思远佳琪晨曦俊杰"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
REGIONS = ["320506", "320505", "320507", "320508", "320509", "320581", "320582", "320583", "320585"]


def id_number(rng):
    """An 18-digit resident ID (GB 11643) with its check digit."""
    birth = f"{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = rng.choice(REGIONS) + birth + f"{rng.randint(0, 999):03d}"
    return body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def name(rng):
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def phone(rng):
    return "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))


class Api:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        self.token = None
        pw = os.environ["PINGAN_ADMIN_PASSWORD"]
        code, v = self.call("POST", "/api/v1/auth/login", json.dumps({"username": "admin", "password": pw}),
                            "application/json")
        assert code == 200, v
        self.token = v["token"]

    def call(self, method, path, body=None, ctype=None):
        h = {}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if ctype:
            h["Content-Type"] = ctype
        self.conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)

    def get(self, path):
        return self.call("GET", path)


def jurisdictions(api, level):
    code, v = api.get(f"/api/v1/jurisdictions?level={level}")
    assert code == 200, v
    # GeoJSON: one feature a jurisdiction.
    return [f["properties"]["id"] for f in v["features"]]


def generate(base, out, residents, floating, rentals):
    api = Api(base)
    communities = jurisdictions(api, "community")
    assert communities, "the city has no communities"
    rng = random.Random(110)
    os.makedirs(out, exist_ok=True)
    ids, names = [], []
    t = time.perf_counter()
    with open(f"{out}/resident.csv", "w") as f:
        f.write("community_id,name,id_number,gender,birth_date,address,phone,household\n")
        for n in range(residents):
            i, nm = id_number(rng), name(rng)
            if n % 997 == 0:
                ids.append(i)
                names.append(nm)
            f.write(f"{rng.choice(communities)},{nm},{i},{rng.choice(('male', 'female'))},"
                    f"{i[6:10]}-{i[10:12]}-{i[12:14]},幸福路 {n % 3000 + 1} 号 {n % 40 + 1} 室,{phone(rng)},"
                    f"{rng.choice(('registered', 'registered', 'resident_not_registered'))}\n")
    with open(f"{out}/floating_population.csv", "w") as f:
        f.write("community_id,name,id_number,origin,address,phone,occupation,registered_on,permit_expires\n")
        for n in range(floating):
            i = id_number(rng)
            f.write(f"{rng.choice(communities)},{name(rng)},{i},安徽省阜阳市,工业园宿舍 {n % 500 + 1} 栋,{phone(rng)},"
                    f"工人,2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d},2027-06-30\n")
    with open(f"{out}/rental_housing.csv", "w") as f:
        f.write("community_id,address,landlord,landlord_phone,landlord_id_number,rooms,tenants,registered_on\n")
        for n in range(rentals):
            tenants = "; ".join(f"{name(rng)}/2026-0{rng.randint(1, 9)}-01/{id_number(rng)}" for _ in range(rng.randint(0, 3)))
            f.write(f"{rng.choice(communities)},和平路 {n + 1} 号,{name(rng)},{phone(rng)},{id_number(rng)},"
                    f"{rng.randint(1, 6)},{tenants},2026-{rng.randint(1, 11):02d}-01\n")
    with open(f"{out}/samples.json", "w") as f:
        json.dump({"ids": ids, "names": names, "stations": jurisdictions(api, "station")}, f, ensure_ascii=False)
    print(json.dumps({"generated": residents + floating + rentals, "seconds": round(time.perf_counter() - t, 1)}))


def api_import(base, kind, path, per):
    api = Api(base)
    rows = 0
    t = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        header = f.readline()
        while True:
            chunk = [line for _, line in zip(range(per), f)]
            if not chunk:
                break
            code, v = api.call("POST", f"/api/v1/community/ledgers/{kind}/import", header + "".join(chunk),
                               "text/csv")
            assert code == 201, (code, json.dumps(v, ensure_ascii=False)[:2000])
            rows += v["imported"]
    s = time.perf_counter() - t
    print(json.dumps({"kind": kind, "rows": rows, "seconds": round(s, 1), "rows_per_s": round(rows / s)}))


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))], 2)


def timed(api, path):
    t = time.perf_counter()
    code, v = api.get(path)
    ms = (time.perf_counter() - t) * 1000
    assert code == 200, (path, code, v)
    return ms, v


def reads(base, out, samples):
    api = Api(base)
    s = json.load(open(f"{out}/samples.json"))
    rng = random.Random(7)
    reason = urllib.parse.quote("bench: identity check")
    first, nxt, by_id, by_name = [], [], [], []
    hits = {"id": 0, "name": 0, "page": 0}
    for _ in range(samples):
        st = rng.choice(s["stations"])
        ms, v = timed(api, f"/api/v1/community/ledgers/resident?station={st}&limit=50")
        first.append(ms)
        hits["page"] += len(v["entries"]) == 50
        cursor = v["next"]
        # A few pages in, as a user paging on would be.
        for _ in range(rng.randint(1, 5)):
            if not cursor:
                break
            ms, v = timed(api, f"/api/v1/community/ledgers/resident?station={st}&limit=50&cursor={urllib.parse.quote(cursor)}")
            nxt.append(ms)
            cursor = v["next"]
        i = rng.choice(s["ids"])
        ms, v = timed(api, f"/api/v1/people/search?q={i}&reason={reason}")
        by_id.append(ms)
        hits["id"] += any(r["register"] == "resident" for r in v["results"])
        prefix = rng.choice(s["names"])[:2]
        ms, v = timed(api, f"/api/v1/people/search?q={urllib.parse.quote(prefix)}&reason={reason}")
        by_name.append(ms)
        hits["name"] += len(v["results"]) > 0
    out = {"samples": samples, "hits": hits}
    for k, xs in (("first_page", first), ("next_page", nxt), ("by_id", by_id), ("by_name_prefix", by_name)):
        out[k] = {"n": len(xs), "p50_ms": pct(xs, 50), "p99_ms": pct(xs, 99), "max_ms": round(max(xs), 2) if xs else None}
    print(json.dumps(out))


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                print(int(line.split()[1]) // 1024)


if __name__ == "__main__":
    cmd, *a = sys.argv[1:]
    if cmd == "generate":
        generate(a[0], a[1], int(a[2]), int(a[3]), int(a[4]))
    elif cmd == "import":
        api_import(a[0], a[1], a[2], int(a[3]) if len(a) > 3 else 10_000)
    elif cmd == "reads":
        reads(a[0], a[1], int(a[2]))
    elif cmd == "rss":
        rss(a[0])
    else:
        sys.exit(__doc__)
