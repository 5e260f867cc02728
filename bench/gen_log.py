#!/usr/bin/env python3
"""Writes a synthetic deployment for benchmarks: ENTITIES manifests and an NDJSON access log
of about SIZE_MB megabytes. Most records follow the manifests (entities read their inputs and
write their outputs); 2 % are undeclared accesses and a few come from unmapped principals, so
every rule has work to do while the findings stay at a realistic count.

usage: gen_log.py OUT_DIR SIZE_MB [ENTITIES]
"""
import os
import random
import sys

out, size_mb = sys.argv[1], float(sys.argv[2])
entities = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
datasets = entities * 4
rng = random.Random(7)
os.makedirs(os.path.join(out, "manifests"), exist_ok=True)
os.makedirs(os.path.join(out, "logs"), exist_ok=True)
kinds = ["model", "job", "service"]
plans = []
with open(os.path.join(out, "manifests", "all.yaml"), "w") as f:
    for i in range(entities):
        kind = kinds[i % 3]
        ins = sorted({f"warehouse.t{rng.randrange(datasets)}" for _ in range(10)})
        outs = [f"warehouse.t{(i * 4 + k) % datasets}" for k in range(2)]
        consumers = ", ".join(f"service:e{(i + 3 * j + 2) % entities - (i + 3 * j + 2) % entities % 3 + 2}" for j in range(5)) if kind == "model" and i % 2 else "service:*"
        f.write(f"kind: {kind}\nname: e{i}\nidentities: [svc:e{i}, svc:e{i}-worker-*]\n"
                f"inputs: [{', '.join(ins)}]\noutputs: [{', '.join(outs)}]\nconsumers: [{consumers}]\n---\n")
        plans.append((i, ins, outs))
target = int(size_mb * 1024 * 1024)
written = 0
with open(os.path.join(out, "logs", "access.jsonl"), "w") as f:
    lines = []
    while written < target:
        day = rng.randrange(1, 29)
        i, ins, outs = plans[rng.randrange(entities)]
        principal = f"svc:e{i}" if rng.random() < 0.7 else f"svc:e{i}-worker-{rng.randrange(8)}"
        roll = rng.random()
        if roll < 0.02:
            action, resource = "read", f"warehouse.t{rng.randrange(datasets)}"
        elif roll < 0.021:
            principal, action, resource = f"svc:unknown-{rng.randrange(20)}", "read", rng.choice(outs)
        elif roll < 0.15:
            action, resource = "write", rng.choice(outs)
        else:
            action, resource = "read", rng.choice(ins)
        line = (f'{{"ts":"2026-11-{day:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",'
                f'"principal":"{principal}","action":"{action}","resource":"{resource}","bytes":{rng.randrange(1 << 20)}}}\n')
        lines.append(line)
        written += len(line)
        if len(lines) >= 10000:
            f.write("".join(lines))
            lines = []
    f.write("".join(lines))
