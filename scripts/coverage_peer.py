#!/usr/bin/env python3
"""The peer for `pingan coverage optimise --exact`: the same weighted multi-tier
maximal covering integer program, built with PuLP and solved by CBC (the
solver PySAL's spopt uses), on the model pingan wrote with --write-model.
Prints JSON: objective, model-building and solving seconds, status."""
import json, sys, time

import pulp

model = json.load(open(sys.argv[1]))
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
t0 = time.perf_counter()
k, w, a = model["k"], model["weights"], model["tier_weights"]
tiers = len(a)
reach = {}
for j, lst in enumerate(model["cover"]):
    for i, t in lst:
        for m in range(t, tiers):
            reach.setdefault((i, m), []).append(j)
prob = pulp.LpProblem("mclp", pulp.LpMaximize)
x = [pulp.LpVariable(f"x{j}", cat="Binary") for j in range(len(model["cover"]))]
y = {key: pulp.LpVariable(f"y{key[0]}_{key[1]}", lowBound=0, upBound=1) for key in reach}
prob += pulp.lpSum(w[i] * a[m] * v for (i, m), v in y.items())
prob += pulp.lpSum(x) == k
for j in model.get("fixed", []):
    prob += x[j] == 1
for key, sites in reach.items():
    prob += y[key] <= pulp.lpSum(x[j] for j in sites)
built = time.perf_counter() - t0
status = prob.solve(pulp.PULP_CBC_CMD(msg=0, threads=threads))
solved = time.perf_counter() - t0 - built
chosen = [j for j, v in enumerate(x) if v.value() and v.value() > 0.5]
print(json.dumps({"solver": "CBC via PuLP " + pulp.__version__, "status": pulp.LpStatus[status], "objective": pulp.value(prob.objective),
                  "chosen": chosen, "build_seconds": round(built, 2), "solve_seconds": round(solved, 2), "total_seconds": round(built + solved, 2)}))
