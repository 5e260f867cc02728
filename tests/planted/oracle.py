#!/usr/bin/env python3
"""Compute the findings SPEC.md requires for tests/planted/deployment/.

Independent of the Rust code: it reads the deployment files itself (a small YAML
reader for the subset generate.py writes, JSON manifests, NDJSON logs), builds the
lineage graph from SPEC.md's definitions and applies rules LT001-LT009. Writes
expected.json, a JSON array sorted by (code, subject, related).

Cross-checks (failing any is an error, exit 1):
  * every manifest read back equals the one generate.py dumped in manifests.json;
  * the findings equal what generate.py meant to plant (planted.json), and no finding
    mentions a node planted as clean;
  * where SPEC.md leaves a reading open that the data could depend on, both readings
    give the same answer (see README.md).

Python 3.11, standard library only.
"""

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEPLOY = HERE / "deployment"

SEVERITY = {"LT001": "error", "LT002": "error", "LT004": "warning", "LT005": "warning",
            "LT006": "info", "LT007": "info", "LT008": "warning", "LT009": "warning"}
ENTITY_KINDS = ("model", "job", "service")


# --------------------------------------------------------------------------- YAML subset


def strip_comment(s):
    """Drop a ` #` comment outside quotes."""
    quote = None
    for i, c in enumerate(s):
        if quote:
            if c == "\\" and quote == '"':
                continue
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s.rstrip()


def scalar(s):
    s = s.strip()
    if s.startswith('"'):
        return json.loads(s)
    if s.startswith("'"):
        return s[1:-1].replace("''", "'")
    return s


def flow_list(s):
    inner = s.strip()
    assert inner.startswith("[") and inner.endswith("]"), s
    inner = inner[1:-1].strip()
    if not inner:
        return []
    items, cur, quote = [], "", None
    for c in inner:
        if quote:
            cur += c
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
            cur += c
        elif c == ",":
            items.append(cur)
            cur = ""
        else:
            cur += c
    items.append(cur)
    return [scalar(x) for x in items]


def parse_yaml_doc(lines, where):
    body = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not body:
        return None
    doc, i = {}, 0
    while i < len(body):
        ln = body[i]
        assert not ln[0].isspace() and not ln.startswith("- "), f"{where}: unexpected line {ln!r}"
        key, _, rest = ln.partition(":")
        rest = strip_comment(rest).strip()
        i += 1
        if rest.startswith("["):
            doc[key] = flow_list(rest)
        elif rest:
            doc[key] = scalar(rest)
        else:
            block = []
            while i < len(body) and (body[i][0].isspace() or body[i].startswith("- ")):
                block.append(body[i].strip())
                i += 1
            if block and block[0].startswith("- "):
                doc[key] = [scalar(strip_comment(b[2:])) for b in block]
            else:
                sub = {}
                for b in block:
                    k, _, v = b.partition(":")
                    sub[k.strip()] = scalar(strip_comment(v))
                doc[key] = sub
    return doc


def parse_yaml_stream(text, where):
    docs, cur = [], []
    for ln in text.splitlines():
        if ln.rstrip() == "---":
            docs.append(cur)
            cur = []
        else:
            cur.append(ln)
    docs.append(cur)
    return [d for d in (parse_yaml_doc(x, where) for x in docs) if d is not None]


# --------------------------------------------------------------------------- ingest


def discover(root):
    manifests, logs = [], []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts[:-1]) or not p.is_file():
            continue
        name = p.name
        if name.endswith((".yaml", ".yml")):
            for m in parse_yaml_stream(p.read_text(), str(rel)):
                manifests.append((str(rel), m))
        elif name.endswith(".json"):
            obj = json.loads(p.read_text())
            if isinstance(obj, dict) and "kind" in obj and "name" in obj:
                manifests.append((str(rel), obj))
        elif name.endswith((".jsonl", ".ndjson", ".log")):
            logs.append((str(rel), p.read_text()))
    return manifests, logs


def read_logs(logs):
    """Set of (principal, action, resource); malformed lines are skipped."""
    seen, bad, n = set(), 0, 0
    for rel, text in logs:
        for ln in text.splitlines():
            if not ln.strip():
                continue
            n += 1
            try:
                rec = json.loads(ln)
            except json.JSONDecodeError:
                bad += 1
                continue
            ok = (isinstance(rec, dict) and isinstance(rec.get("ts"), str)
                  and isinstance(rec.get("principal"), str)
                  and rec.get("action") in ("read", "write") and isinstance(rec.get("resource"), str))
            if not ok:
                bad += 1
                continue
            seen.add((rec["principal"], rec["action"], rec["resource"]))
    return seen, n, bad


def glob_match(pattern, s):
    rx = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, s) is not None


# --------------------------------------------------------------------------- analysis


class Graph:
    def __init__(self):
        self.edges = {}  # (src, dst) -> {"declared": bool, "observed": bool}

    def add(self, a, b, declared):
        e = self.edges.setdefault((a, b), {"declared": False, "observed": False})
        e["declared" if declared else "observed"] = True

    def succ(self, pred=lambda e: True):
        out = {}
        for (a, b), e in self.edges.items():
            if pred(e):
                out.setdefault(a, set()).add(b)
                out.setdefault(b, set())
        return out


def scc(nodes, succ):
    """Tarjan (iterative). Returns node -> component id."""
    index, low, comp, stack, on = {}, {}, {}, [], set()
    counter = [0]
    cid = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(succ.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(succ.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp[w] = cid
                    if w == v:
                        break
                cid += 1
    return comp


def reaches(succ, start, target):
    """Is target reachable from start by a path of at least one edge?"""
    seen, todo = set(), list(succ.get(start, ()))
    while todo:
        v = todo.pop()
        if v == target:
            return True
        if v not in seen:
            seen.add(v)
            todo.extend(succ.get(v, ()))
    return False


def analyse(manifests, observed, shorthand_observed_outputs_declared=True):
    ent = {}  # node id -> manifest
    for rel, m in manifests:
        node = f"{m['kind']}:{m['name']}"
        assert m["kind"] in ENTITY_KINDS, (rel, m["kind"])
        assert node not in ent, f"duplicate {node}"
        ent[node] = m

    # principal -> node
    exact, globs = {}, []
    for node, m in ent.items():
        for ident in m.get("identities", []):
            if "*" in ident:
                globs.append((ident, node))
            else:
                assert ident not in exact, f"identity {ident} claimed twice"
                exact[ident] = node

    def node_of(p):
        if p in exact:
            return exact[p]
        hits = [(len(g), g, n) for g, n in globs if glob_match(g, p)]
        if not hits:
            return f"principal:{p}"
        hits.sort(reverse=True)
        if len(hits) > 1 and hits[0][0] == hits[1][0]:
            raise SystemExit(f"ambiguous principal {p}: {hits[0][1:]} vs {hits[1][1:]}")
        return hits[0][2]

    principals = sorted({p for p, _, _ in observed})
    pnode = {p: node_of(p) for p in principals}
    reads, writes = set(), set()  # (node, dataset-id)
    active = set()
    for p, act, res in observed:
        n = pnode[p]
        active.add(n)
        (reads if act == "read" else writes).add((n, f"dataset:{res}"))

    def ds(name):
        return f"dataset:{name}"

    declared_outputs = {n: {ds(x) for x in m.get("outputs", [])} for n, m in ent.items()}
    for n, m in ent.items():
        for x in m.get("outputs", []):
            assert not x.startswith("model:"), f"{n}: model: in outputs"

    def outputs_of(model, include_observed=True):
        out = set(declared_outputs.get(model, ()))
        if include_observed:
            out |= {d for (w, d) in writes if w == model}
        return out

    # declared dependencies, resolved (model:X -> outputs of X)
    declared_items = {}  # entity -> ordered unique list of raw items (dataset ids or model ids)
    resolved_in = {}  # entity -> set of dataset ids
    for n, m in ent.items():
        items = []
        for x in list(m.get("inputs", [])) + list(m.get("training", [])):
            item = x if x.startswith("model:") else ds(x)
            if item not in items:
                items.append(item)
        declared_items[n] = items
        res = set()
        for it in items:
            if it.startswith("model:"):
                assert it in ent, f"{n}: unknown {it}"
                assert declared_outputs[it], f"{it} used as input but declares no outputs"
                res |= outputs_of(it)
            else:
                res.add(it)
        resolved_in[n] = res

    g = Graph()
    for n, m in ent.items():
        for it in declared_items[n]:
            if it.startswith("model:"):
                for d in outputs_of(it):
                    observed_only = d not in declared_outputs[it]
                    g.add(d, n, declared=not (observed_only and not shorthand_observed_outputs_declared))
            else:
                g.add(it, n, declared=True)
        for d in declared_outputs[n]:
            g.add(n, d, declared=True)
        for x in m.get("influences", []):
            g.add(n, ds(x), declared=True)
        if m.get("base_model"):
            b = m["base_model"]
            assert b.startswith("model:") and b in ent, f"{n}: base_model {b}"
            g.add(b, n, declared=True)
    for n, d in reads:
        g.add(d, n, declared=False)
    for n, d in writes:
        g.add(n, d, declared=False)

    nodes = set(ent) | set(pnode.values())
    for a, b in g.edges:
        nodes.add(a)
        nodes.add(b)
    succ_all = g.succ()
    succ_decl = g.succ(lambda e: e["declared"])
    models = sorted(n for n in nodes if n.startswith("model:"))
    is_model = set(models)

    findings = []

    def emit(code, subject, related=(), severity=None, **extra):
        f = {"code": code, "subject": subject, "related": list(related),
             "severity": severity or SEVERITY[code]}
        f.update(extra)
        findings.append(f)

    def consumer_listed(model, node):
        for c in ent[model].get("consumers", []):
            if ("*" in c and glob_match(c, node)) or c == node:
                return True
        return False

    # LT001 undeclared-consumer
    for mdl in models:
        if mdl not in ent:
            continue
        outs = outputs_of(mdl)
        readers = sorted({n for n, d in reads if d in outs and n != mdl})
        for r in readers:
            if not consumer_listed(mdl, r):
                emit("LT001", mdl, [r])

    # LT002 feedback-loop
    comp = scc(nodes, succ_all)
    members = {}
    for n, c in comp.items():
        members.setdefault(c, []).append(n)
    for c, ms in members.items():
        cyclic = len(ms) > 1 or (ms[0], ms[0]) in g.edges
        mods = sorted(n for n in ms if n in is_model)
        if not cyclic or not mods:
            continue
        subject = mods[0]
        direct = len(mods) == 1 and reaches(succ_decl, subject, subject)
        emit("LT002", subject, loop_kind="direct" if direct else "hidden")

    # LT003 model-chain
    preds = {m: set() for m in models}
    for a in models:
        seen, todo = set(), list(succ_all.get(a, ()))
        while todo:
            v = todo.pop()
            if v in seen:
                continue
            seen.add(v)
            if v in is_model:
                if v != a and comp[v] != comp[a]:
                    preds[v].add(a)
                continue
            todo.extend(succ_all.get(v, ()))
    memo = {}

    def chain(m, stack=()):
        if m not in memo:
            assert m not in stack, "precedence cycle"
            memo[m] = 1 + max((chain(a, stack + (m,)) for a in preds[m]), default=0)
        return memo[m]

    for m in models:
        if preds[m]:
            n = chain(m)
            emit("LT003", m, severity="warning" if n >= 3 else "info", chain_len=n)

    # LT004 undeclared-dependency / LT005 unused-dependency / LT008 undeclared-output
    for n in sorted(ent):
        for d in sorted({d for r, d in reads if r == n} - resolved_in[n]):
            emit("LT004", n, [d])
        if n in active:
            my_reads = {d for r, d in reads if r == n}
            for it in declared_items[n]:
                used = bool(outputs_of(it) & my_reads) if it.startswith("model:") else it in my_reads
                if not used:
                    emit("LT005", n, [it])
        for d in sorted({d for w, d in writes if w == n} - declared_outputs[n]):
            emit("LT008", n, [d])

    # LT006 stale-consumer
    for mdl in models:
        if mdl not in ent:
            continue
        outs = outputs_of(mdl)
        for c in ent[mdl].get("consumers", []):
            if "*" in c or c not in active:
                continue
            if not any(d in outs for r, d in reads if r == c):
                emit("LT006", mdl, [c])

    # LT007 unknown-principal
    for p in principals:
        if pnode[p].startswith("principal:"):
            emit("LT007", pnode[p])

    # LT009 multiple-writers
    writers = {}
    for n, outs in declared_outputs.items():
        for d in outs:
            writers.setdefault(d, set()).add(n)
    for n, d in writes:
        writers.setdefault(d, set()).add(n)
    for d in sorted(writers):
        if len(writers[d]) >= 2:
            emit("LT009", d, sorted(writers[d]))

    findings.sort(key=lambda f: (f["code"], f["subject"], f["related"]))
    keys = [(f["code"], f["subject"], tuple(f["related"])) for f in findings]
    assert len(keys) == len(set(keys)), "duplicate finding"
    stats = {"entities": len(ent), "nodes": len(nodes), "edges": len(g.edges),
             "principals": len(principals), "models": len(models)}
    return findings, stats


# --------------------------------------------------------------------------- main


def key(f):
    return (f["code"], f["subject"], tuple(f["related"]))


def main():
    manifests, logs = discover(DEPLOY)
    observed, n_lines, n_bad = read_logs(logs)
    errors = []

    side = HERE / "manifests.json"
    if side.exists():
        dumped = json.loads(side.read_text())
        a = sorted((x["file"], json.dumps(x["manifest"], sort_keys=True)) for x in dumped)
        b = sorted((f, json.dumps(m, sort_keys=True)) for f, m in manifests)
        if a != b:
            errors.append("manifests read back differ from manifests.json: "
                          f"{sorted(set(a) ^ set(b))[:3]}")

    findings, stats = analyse(manifests, observed)
    # SPEC.md does not say whether `model:X` standing for an output X was only *observed*
    # writing makes a declared or an observed edge; the data must not depend on it.
    alt, _ = analyse(manifests, observed, shorthand_observed_outputs_declared=False)
    if alt != findings:
        errors.append("findings depend on how observed-only outputs behind `model:X` count")

    planted_path = HERE / "planted.json"
    if planted_path.exists():
        planted = json.loads(planted_path.read_text())
        got = {key(f): f for f in findings}
        want = {key(f): f for f in planted["findings"]}
        for k in sorted(set(want) - set(got)):
            errors.append(f"planted but not found: {k}")
        for k in sorted(set(got) - set(want)):
            errors.append(f"found but not planted: {k} {got[k]}")
        for k in sorted(set(want) & set(got)):
            for attr in ("loop_kind", "chain_len"):
                if attr in want[k] and want[k][attr] != got[k].get(attr):
                    errors.append(f"{k}: planted {attr}={want[k][attr]}, found {got[k].get(attr)}")
        clean = set(planted["clean"])
        for f in findings:
            bad = ({f["subject"]} | set(f["related"])) & clean
            if bad:
                errors.append(f"finding mentions clean node(s) {sorted(bad)}: {key(f)}")

    (HERE / "expected.json").write_text(json.dumps(findings, indent=1) + "\n")

    counts = {}
    for f in findings:
        counts[f["code"]] = counts.get(f["code"], 0) + 1
    kinds = sorted({f["loop_kind"] for f in findings if f["code"] == "LT002"})
    lens = sorted({f["chain_len"] for f in findings if f["code"] == "LT003"})
    print(f"manifests: {len(manifests)}; log lines: {n_lines} ({n_bad} malformed); "
          f"observed (principal, action, resource): {len(observed)}; {stats}")
    print("findings:", len(findings), dict(sorted(counts.items())), "loop kinds:", kinds, "chain lengths:", lens)
    for code in ("LT001", "LT002", "LT003", "LT004", "LT005", "LT006", "LT007", "LT008", "LT009"):
        if counts.get(code, 0) < 2:
            errors.append(f"too few {code} findings")
    if kinds != ["direct", "hidden"]:
        errors.append(f"loop kinds {kinds}")
    if not {2, 3, 4} <= set(lens):
        errors.append(f"chain lengths {lens}")
    if errors:
        print("\n".join("ERROR: " + e for e in errors), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
