#!/usr/bin/env python3
"""Writes a deterministic synthetic deployment for bench/versus-duckdb.sh: manifests for
ENTITIES entities (the scheme of gen_log.py) and one native NDJSON access log of SIZE bytes
(decimal: 100M = 100,000,000, 1G = 1,000,000,000, 10G = 10,000,000,000) shaped like issue 7's
reference log: about 7.1 M records per GB and about 52,000 distinct (principal, resource,
action) edges.

The edges come from a fixed universe built from the manifests, so their number does not grow
with the log (a 10 GB log has the same edges as a 1 GB one, only more often):
  - each entity's principal svc:eN and its workers svc:eN-worker-0..2 read every declared
    input and write every declared output (about 48,000 edges, 97.9 % of the records);
  - each entity's principal also reads 4 datasets it does not declare (4,000 edges, 2 %: LT004);
  - 20 unmapped principals svc:unknown-K read 10 model outputs each (200 edges, 0.1 %).
Within each group edges are weighted unevenly (a factor 0.25-1.75), so some are hot.
Records are in time order over 2026-11-01 .. 2026-11-28, as a real access log is.

Lines are assembled from pre-made pieces (edge bodies, timestamps, job ids, byte counts) in
blocks, so a 1 GB log takes about 15 s; the log is streamed to disk, never held whole. The
same arguments always give the same bytes (fixed seed).

usage: gen_deployment.py OUT_DIR SIZE_BYTES [ENTITIES]
Writes OUT_DIR/manifests/all.yaml and OUT_DIR/logs/access.jsonl (through a .tmp file renamed
at the end) and prints a JSON summary (records, bytes, edges) on stdout.
"""
import json
import os
import random
import sys

SEED = 7
BLOCK = 50_000  # lines generated per block
DAYS = 28
START_DAY = 1  # 2026-11-01


def main():
    out, size = sys.argv[1], int(sys.argv[2])
    entities = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    datasets = entities * 4
    rng = random.Random(SEED)
    os.makedirs(os.path.join(out, "manifests"), exist_ok=True)
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)

    # Manifests: the scheme of gen_log.py (models, jobs and services; ten random inputs, two
    # outputs each; half the models name their consumers).
    kinds = ["model", "job", "service"]
    plans = []
    with open(os.path.join(out, "manifests", "all.yaml"), "w") as f:
        for i in range(entities):
            kind = kinds[i % 3]
            ins = sorted({f"warehouse.t{rng.randrange(datasets)}" for _ in range(10)})
            outs = [f"warehouse.t{(i * 4 + k) % datasets}" for k in range(2)]
            consumers = (
                ", ".join(
                    f"service:e{(i + 3 * j + 2) % entities - (i + 3 * j + 2) % entities % 3 + 2}"
                    for j in range(5)
                )
                if kind == "model" and i % 2
                else "service:*"
            )
            f.write(
                f"kind: {kind}\nname: e{i}\nidentities: [svc:e{i}, svc:e{i}-worker-*]\n"
                f"inputs: [{', '.join(ins)}]\noutputs: [{', '.join(outs)}]\n"
                f"consumers: [{consumers}]\n---\n"
            )
            plans.append((i, kind, ins, outs))

    # The edge universe, in groups with a share of the records each.
    groups = {"main": [], "worker": [], "undeclared": [], "unknown": []}
    for i, kind, ins, outs in plans:
        principals = [("main", f"svc:e{i}")] + [("worker", f"svc:e{i}-worker-{w}") for w in range(3)]
        for group, p in principals:
            for r in ins:
                groups[group].append((p, "read", r, 1.0))
            for r in outs:
                # Writes are about 13 % of the declared traffic.
                groups[group].append((p, "write", r, 0.13 / 0.87 * len(ins) / len(outs)))
        declared = set(ins)
        extra = set()
        while len(extra) < 4:
            r = f"warehouse.t{rng.randrange(datasets)}"
            if r not in declared:
                extra.add(r)
        for r in sorted(extra):
            groups["undeclared"].append((f"svc:e{i}", "read", r, 1.0))
    model_outs = [o for _, kind, _, outs in plans if kind == "model" for o in outs]
    for k in range(20):
        for r in sorted(set(rng.sample(model_outs, 10))):
            groups["unknown"].append((f"svc:unknown-{k}", "read", r, 1.0))
    shares = {"main": 0.979 * 0.7, "worker": 0.979 * 0.3, "undeclared": 0.02, "unknown": 0.001}

    bodies, cum, total = [], [], 0.0
    for group, edges in groups.items():
        weights = [w * rng.uniform(0.25, 1.75) for (_, _, _, w) in edges]
        scale = shares[group] / sum(weights)
        for (p, a, r, _), w in zip(edges, weights):
            bodies.append(f'"principal":"{p}","action":"{a}","resource":"{r}"')
            total += w * scale
            cum.append(total)

    jobs = [f"run-{rng.randrange(10**6, 10**7)}" for _ in range(4096)]
    sizes = [str(rng.randrange(1 << 24)) for _ in range(4096)]
    days = [f"2026-11-{START_DAY + d:02d}T" for d in range(DAYS + 1)]
    clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86400)]
    millis = [f"{m:03d}Z" for m in range(1000)]
    span = DAYS * 86400

    path = os.path.join(out, "logs", "access.jsonl")
    written = records = 0
    with open(path + ".tmp", "w", buffering=1 << 20) as f:
        while written < size:
            # Time advances with the bytes written, so the log is in time order.
            t0 = written * span * 1000 // size
            t1 = min(span * 1000 - 1, (written + BLOCK * 141) * span * 1000 // size)
            step = (t1 - t0) / BLOCK
            stamps = [t0 + int(k * step) for k in range(BLOCK)]  # milliseconds
            block = [
                f'{{"ts":"{days[t // 86_400_000]}{clock[t // 1000 % 86400]}{millis[t % 1000]}",'
                f'{e},"job":"{j}","bytes":{b}}}\n'
                for t, e, j, b in zip(
                    stamps,
                    rng.choices(bodies, cum_weights=cum, k=BLOCK),
                    rng.choices(jobs, k=BLOCK),
                    rng.choices(sizes, k=BLOCK),
                )
            ]
            text = "".join(block)
            if written + len(text) > size:
                # The last block: keep whole lines until the size is reached.
                keep, n = [], written
                for line in block:
                    if n >= size:
                        break
                    keep.append(line)
                    n += len(line)
                block, text = keep, "".join(keep)
            f.write(text)
            written += len(text)
            records += len(block)
    os.replace(path + ".tmp", path)
    print(json.dumps({"records": records, "bytes": written, "edges": len(bodies),
                      "entities": entities, "seed": SEED}))


if __name__ == "__main__":
    main()
