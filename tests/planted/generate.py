#!/usr/bin/env python3
"""Generate a synthetic ML deployment with planted lineage debt.

Writes, next to this file:
  deployment/      native manifests (YAML, YAML streams, JSON) and NDJSON access logs
  manifests.json   the same manifests as JSON, with the file each one lives in
  planted.json     what the generator *meant* to plant: the findings it expects and the
                   nodes it expects no finding to mention (the oracle cross-checks it)

Python 3.11, standard library only, fixed seed: the output is the same on every run.
The expected findings are computed separately by oracle.py from SPEC.md's definitions.
"""

import json
import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261101
HERE = Path(__file__).resolve().parent
OUT = HERE / "deployment"
START = datetime(2026, 11, 1, tzinfo=timezone.utc)
SPAN_SECONDS = 21 * 24 * 3600

DOMAINS = """
fraud churn ads search pricing recsys credit eta spam demand ltv promo fx loyalty
inventory routing tagging ranking billing support payroll shipping returns catalog
warranty claims dispatch fleet energy grid weather traffic parking tolls transit
booking hotel flights cargo customs tariff leasing mortgage savings brokerage
insurance dental pharmacy clinic imaging genomics trials vaccines nutrition fitness
gaming esports music podcast video news weather2 radio books comics toys garden
hardware lumber paint plumbing roofing solar wind hydro mining steel chemicals
textiles apparel shoes jewelry watches perfume cosmetics hairsalon spa
""".split()

RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


# --------------------------------------------------------------------------- model


class Deployment:
    def __init__(self, rng):
        self.rng = rng
        self.manifests = []  # (group, manifest dict)
        self.observed = []  # (principal, action, resource)
        self.planted = []  # dicts {code, subject, related, [loop_kind|chain_len]}
        self.clean = set()  # node ids no finding may mention
        doms = list(DOMAINS)
        rng.shuffle(doms)
        self._domains = iter(doms)
        self.principal_of = {}  # entity name -> default principal

    def domain(self):
        return next(self._domains)

    def add(self, group, kind, name, *, identities=None, inputs=None, training=None,
            outputs=None, consumers=None, base_model=None, influences=None,
            clean=False):
        rng = self.rng
        m = {"kind": kind, "name": name}
        if rng.random() < 0.5:
            m["version"] = str(rng.randint(1, 12))
        if rng.random() < 0.6:
            m["owner"] = group.split("/")[-1] + "-team"
        if identities is None:
            identities = [f"svc:{name}"]
        m["identities"] = identities
        for key, val in (("inputs", inputs), ("training", training),
                         ("outputs", outputs), ("consumers", consumers)):
            if val is not None:
                m[key] = list(val)
            elif rng.random() < 0.15:
                m[key] = []  # an explicit empty list now and then
        if base_model is not None:
            m["base_model"] = base_model
        if influences is not None:
            m["influences"] = list(influences)
        # unknown keys: kept and ignored by the tool
        r = rng.random()
        if r < 0.15:
            m["description"] = f"{kind} {name}: owned by {group.split('/')[-1]}"
        elif r < 0.25:
            m["labels"] = {"tier": str(rng.randint(1, 3)), "cost-center": f"cc-{rng.randint(100, 999)}"}
        elif r < 0.30:
            m["tags"] = ["ml", kind]
        self.manifests.append((group, m))
        node = f"{kind}:{name}"
        if clean:
            self.clean.add(node)
        exact = [i for i in identities if "*" not in i]
        self.principal_of[name] = exact[0] if exact else None
        return node

    def p(self, name):
        return self.principal_of[name]

    def read(self, principal, resource):
        self.observed.append((principal, "read", resource))

    def write(self, principal, resource):
        self.observed.append((principal, "write", resource))

    def plant(self, code, subject, related=(), **extra):
        item = {"code": code, "subject": subject, "related": list(related)}
        item.update(extra)
        self.planted.append(item)


# --------------------------------------------------------------------------- clusters
# Each cluster lives in its own folder teams/<domain>/ and uses its own dataset names,
# so clusters never interact. Every finding a cluster causes is planted explicitly.


def clean_pipeline(dep, d, *, logs, shorthand, ingest, trainer_glob):
    """Feature job -> model -> app. No rule may fire."""
    g = f"teams/{d}"
    raw = f"raw.{d}.events"
    if ingest:
        topic = f"kafka://{d}.events"
        dep.add(g, "job", f"{d}-ingest", inputs=[topic], outputs=[raw], clean=True)
        if logs:
            dep.read(dep.p(f"{d}-ingest"), topic)
            dep.write(dep.p(f"{d}-ingest"), raw)
    feat = f"warehouse.{d}.features_daily"
    dep.add(g, "job", f"{d}-features", inputs=[raw], outputs=[feat], clean=True)
    model = f"{d}-model"
    scores = f"warehouse.{d}.scores"
    ep = f"endpoint:{d}-model"
    ids = [f"svc:{model}"] + ([f"svc:{model}-trainer-*"] if trainer_glob else [])
    dep.add(g, "model", model, identities=ids, training=[feat], outputs=[scores, ep],
            consumers=[f"service:{d}-app", "service:reporting-*"], clean=True)
    dep.add(g, "service", f"{d}-app",
            inputs=[f"model:{model}"] if shorthand else [ep], clean=True)
    dep.clean.update({f"dataset:{raw}", f"dataset:{feat}", f"dataset:{scores}", f"dataset:{ep}"})
    if logs:
        dep.read(dep.p(f"{d}-features"), raw)
        dep.write(dep.p(f"{d}-features"), feat)
        trainer = f"svc:{model}-trainer-{dep.rng.randint(1, 9)}" if trainer_glob else dep.p(model)
        dep.read(trainer, feat)
        dep.write(dep.p(model), scores)
        dep.read(dep.p(f"{d}-app"), ep)
    return scores if logs else None


def reporting(dep, scores_by_logged_model):
    """service:reporting-* read scores of clean models; declared by a glob consumer."""
    g = "teams/reporting"
    chunks = [scores_by_logged_model[0::3], scores_by_logged_model[1::3], scores_by_logged_model[2::3]]
    for name, chunk in zip(("reporting-daily", "reporting-weekly", "reporting-finance"), chunks):
        dep.add(g, "service", name, inputs=chunk, clean=True)
        for s in chunk:
            dep.read(dep.p(name), s)
    # declared, never seen in the logs: silent
    dep.add(g, "service", "reporting-archive", inputs=scores_by_logged_model[:2], clean=True)


def undeclared_consumer(dep, d, variants):
    g = f"teams/{d}"
    m = f"{d}-scorer"
    src = f"warehouse.{d}.training_set"
    scores = f"warehouse.{d}.risk_scores"
    ep = f"endpoint:{d}-scorer"
    M = dep.add(g, "model", m, training=[src], outputs=[scores, ep],
                consumers=[f"service:{d}-checkout", f"service:{d}-dash-*"])
    dep.read(dep.p(m), src)
    dep.write(dep.p(m), scores)
    dep.add(g, "service", f"{d}-checkout", inputs=[ep], clean=True)
    dep.read(dep.p(f"{d}-checkout"), ep)
    if "declared-input" in variants:
        s = dep.add(g, "service", f"{d}-newsletter", inputs=[scores])
        dep.read(dep.p(f"{d}-newsletter"), scores)
        dep.plant("LT001", M, [s])
    if "undeclared-input" in variants:
        contacts = f"crm.{d}.contacts"
        j = dep.add(g, "job", f"{d}-crm-sync", inputs=[contacts])
        dep.read(dep.p(f"{d}-crm-sync"), contacts)
        dep.read(dep.p(f"{d}-crm-sync"), scores)
        dep.plant("LT001", M, [j])
        dep.plant("LT004", j, [f"dataset:{scores}"])
    if "principal" in variants:
        pr = f"svc:adhoc-{d}"
        dep.read(pr, scores)
        dep.plant("LT001", M, [f"principal:{pr}"])
        dep.plant("LT007", f"principal:{pr}")
    if "observed-output" in variants:
        dump = f"warehouse.{d}.debug_dump"
        dep.write(dep.p(m), dump)
        j = dep.add(g, "job", f"{d}-audit", inputs=[dump])
        dep.read(dep.p(f"{d}-audit"), dump)
        dep.plant("LT008", M, [f"dataset:{dump}"])
        dep.plant("LT001", M, [j])
    if "glob" in variants:
        dep.add(g, "service", f"{d}-dash-ops", inputs=[scores], clean=True)
        dep.read(dep.p(f"{d}-dash-ops"), scores)


def loop_direct_influences(dep, d, *, feed_writes):
    """model influences X and trains on X: declared loop, one model -> direct."""
    g = f"teams/{d}"
    m = f"{d}-ranker"
    clicks = f"kafka://{d}.clicks"
    rank = f"warehouse.{d}.rankings"
    M = dep.add(g, "model", m, training=[clicks], influences=[clicks], outputs=[rank],
                consumers=[f"service:{d}-feed"])
    dep.add(g, "service", f"{d}-feed", inputs=[rank], outputs=[clicks] if feed_writes else None)
    # reads an influenced dataset: influences are not outputs, so no LT001
    dep.add(g, "service", f"{d}-analytics", inputs=[clicks], clean=True)
    dep.read(dep.p(m), clicks)
    dep.write(dep.p(m), rank)
    dep.read(dep.p(f"{d}-feed"), rank)
    if feed_writes:
        dep.write(dep.p(f"{d}-feed"), clicks)
    dep.read(dep.p(f"{d}-analytics"), clicks)
    dep.plant("LT002", M, loop_kind="direct")


def loop_direct_job(dep, d, *, logs):
    g = f"teams/{d}"
    m = f"{d}-forecaster"
    j = f"{d}-actuals-builder"
    s = f"warehouse.{d}.forecast"
    labels = f"warehouse.{d}.actuals"
    M = dep.add(g, "model", m, training=[labels], outputs=[s], consumers=[f"job:{j}"])
    dep.add(g, "job", j, inputs=[s], outputs=[labels])
    if logs:
        dep.read(dep.p(m), labels)
        dep.write(dep.p(m), s)
        dep.read(dep.p(j), s)
        dep.write(dep.p(j), labels)
    dep.plant("LT002", M, loop_kind="direct")


def loop_hidden_observed_write(dep, d):
    """The job is only *observed* writing the model's training data."""
    g = f"teams/{d}"
    m = f"{d}-pricer"
    j = f"{d}-conversion-job"
    s = f"warehouse.{d}.prices"
    labels = f"warehouse.{d}.conversions"
    report = f"warehouse.{d}.conversion_report"
    M = dep.add(g, "model", m, training=[labels], outputs=[s], consumers=[f"job:{j}"])
    J = dep.add(g, "job", j, inputs=[s], outputs=[report])
    dep.read(dep.p(m), labels)
    dep.write(dep.p(m), s)
    dep.read(dep.p(j), s)
    dep.write(dep.p(j), report)
    dep.write(dep.p(j), labels)
    dep.plant("LT002", M, loop_kind="hidden")
    dep.plant("LT008", J, [f"dataset:{labels}"])


def loop_hidden_observed_read(dep, d):
    """The model is only *observed* reading what its consumer derives from it."""
    g = f"teams/{d}"
    m = f"{d}-recommender"
    j = f"{d}-engagement-job"
    s = f"warehouse.{d}.recs"
    hist = f"warehouse.{d}.history"
    labels = f"warehouse.{d}.engagement"
    M = dep.add(g, "model", m, training=[hist], outputs=[s], consumers=[f"job:{j}"])
    dep.add(g, "job", j, inputs=[s], outputs=[labels])
    dep.read(dep.p(m), hist)
    dep.read(dep.p(m), labels)
    dep.write(dep.p(m), s)
    dep.read(dep.p(j), s)
    dep.write(dep.p(j), labels)
    dep.plant("LT002", M, loop_kind="hidden")
    dep.plant("LT004", M, [f"dataset:{labels}"])


def loop_hidden_principal(dep, d, *, glob_consumer):
    """An unmapped legacy principal closes the loop."""
    g = f"teams/{d}"
    m = f"{d}-matcher"
    s = f"warehouse.{d}.matches"
    t = f"warehouse.{d}.match_feedback"
    pr = f"svc:legacy-{d}"
    consumers = ["principal:svc:legacy-*"] if glob_consumer else [f"service:{d}-matcher-ui"]
    M = dep.add(g, "model", m, training=[t], outputs=[s], consumers=consumers)
    dep.add(g, "service", f"{d}-matcher-ui", inputs=[s])
    dep.read(dep.p(m), t)
    dep.write(dep.p(m), s)
    dep.read(dep.p(f"{d}-matcher-ui"), s)
    dep.read(pr, s)
    dep.write(pr, t)
    dep.plant("LT002", M, loop_kind="hidden")
    dep.plant("LT007", f"principal:{pr}")
    if glob_consumer:
        # the ui reads s but is not listed: undeclared consumer
        dep.plant("LT001", M, [f"service:{d}-matcher-ui"])
    else:
        dep.plant("LT001", M, [f"principal:{pr}"])


def loop_two_models(dep, d, *, downstream, logs):
    """Two models feeding each other: declared edges, but two models -> hidden."""
    g = f"teams/{d}"
    a, b = f"{d}-bidder", f"{d}-budgeter"
    da, db = f"warehouse.{d}.bids", f"warehouse.{d}.budgets"
    A = dep.add(g, "model", a, training=[db], outputs=[da], consumers=[f"model:{b}"])
    cons_b = [f"model:{a}"] + ([f"model:{d}-pacer"] if downstream else [])
    dep.add(g, "model", b, training=[da], outputs=[db], consumers=cons_b)
    if logs:
        dep.read(dep.p(a), db)
        dep.write(dep.p(a), da)
        dep.read(dep.p(b), da)
        dep.write(dep.p(b), db)
    dep.plant("LT002", A, loop_kind="hidden")  # "bidder" < "budgeter"
    if downstream:
        c = f"{d}-pacer"
        C = dep.add(g, "model", c, training=[db], outputs=[f"warehouse.{d}.pacing"])
        if logs:
            dep.read(dep.p(c), db)
            dep.write(dep.p(c), f"warehouse.{d}.pacing")
        dep.plant("LT003", C, chain_len=2)


def loop_two_models_influences(dep, d):
    g = f"teams/{d}"
    a, b = f"{d}-promo-targeter", f"{d}-uplift-model"
    red = f"kafka://{d}.redemptions"
    uplift = f"warehouse.{d}.uplift"
    targets = f"warehouse.{d}.promo_targets"
    A = dep.add(g, "model", a, training=[uplift], influences=[red], outputs=[targets],
                consumers=[f"service:{d}-promo-app"])
    dep.add(g, "model", b, training=[red], outputs=[uplift], consumers=[f"model:{a}"])
    dep.add(g, "service", f"{d}-promo-app", inputs=[targets], clean=True)
    dep.read(dep.p(a), uplift)
    dep.write(dep.p(a), targets)
    dep.read(dep.p(b), red)
    dep.write(dep.p(b), uplift)
    dep.read(dep.p(f"{d}-promo-app"), targets)
    dep.plant("LT002", A, loop_kind="hidden")


def loop_base_model(dep, d):
    """Teacher derived from base; base trains on teacher output."""
    g = f"teams/{d}"
    a, b = f"{d}-lm-base", f"{d}-lm-teacher"
    ckpt = f"s3://ml-lake/{d}/lm-base"
    synth = f"s3://ml-lake/{d}/synthetic-corpus"
    A = dep.add(g, "model", a, training=[synth], outputs=[ckpt], consumers=[f"model:{b}"])
    dep.add(g, "model", b, base_model=f"model:{a}", training=[ckpt], outputs=[synth],
            consumers=[f"model:{a}"])
    dep.read(dep.p(a), synth)
    dep.write(dep.p(a), ckpt)
    dep.read(dep.p(b), ckpt)
    dep.write(dep.p(b), synth)
    dep.plant("LT002", A, loop_kind="hidden")


def chain_jobs4(dep, d, *, logs):
    g = f"teams/{d}"
    raw = f"raw.{d}.text"
    emb = f"s3://ml-lake/{d}/embeddings"
    joined = f"warehouse.{d}.joined"
    cand = f"warehouse.{d}.candidates"
    rer = f"warehouse.{d}.reranked"
    topic = f"kafka://{d}.ranked"
    ep = f"endpoint:{d}-blender"
    dep.add(g, "model", f"{d}-embedder", training=[raw], outputs=[emb], consumers=[f"job:{d}-joiner"])
    dep.add(g, "job", f"{d}-joiner", inputs=[emb], outputs=[joined])
    M2 = dep.add(g, "model", f"{d}-candidates", training=[joined], outputs=[cand],
                 consumers=[f"model:{d}-reranker"])
    M3 = dep.add(g, "model", f"{d}-reranker", inputs=[cand], outputs=[rer], consumers=[f"job:{d}-exporter"])
    dep.add(g, "job", f"{d}-exporter", inputs=[rer], outputs=[topic])
    M4 = dep.add(g, "model", f"{d}-blender", inputs=[topic], outputs=[ep], consumers=[f"service:{d}-frontend"])
    dep.add(g, "service", f"{d}-frontend", inputs=[ep])
    if logs:
        for who, r, w in ((f"{d}-embedder", raw, emb), (f"{d}-joiner", emb, joined),
                          (f"{d}-candidates", joined, cand), (f"{d}-reranker", cand, rer),
                          (f"{d}-exporter", rer, topic), (f"{d}-blender", topic, ep)):
            dep.read(dep.p(who), r)
            dep.write(dep.p(who), w)
        dep.read(dep.p(f"{d}-frontend"), ep)
    dep.plant("LT003", M2, chain_len=2)
    dep.plant("LT003", M3, chain_len=3)
    dep.plant("LT003", M4, chain_len=4)


def chain_base3(dep, d, *, logs):
    g = f"teams/{d}"
    b1, b2, b3 = f"{d}-foundation", f"{d}-tuned", f"{d}-tuned-small"
    corpus = f"s3://ml-lake/{d}/pretrain-corpus"
    ep = f"endpoint:{d}-assistant"
    dep.add(g, "model", b1, training=[corpus], outputs=[f"s3://ml-lake/{d}/foundation"])
    B2 = dep.add(g, "model", b2, base_model=f"model:{b1}", training=[f"warehouse.{d}.sft"],
                 outputs=[f"s3://ml-lake/{d}/tuned"])
    B3 = dep.add(g, "model", b3, base_model=f"model:{b2}", training=[f"warehouse.{d}.distill"],
                 outputs=[ep], consumers=[f"service:{d}-assistant-ui"])
    dep.add(g, "service", f"{d}-assistant-ui", inputs=[ep])
    if logs:
        dep.read(dep.p(b1), corpus)
        dep.write(dep.p(b1), f"s3://ml-lake/{d}/foundation")
        dep.read(dep.p(b2), f"warehouse.{d}.sft")
        dep.write(dep.p(b2), f"s3://ml-lake/{d}/tuned")
        dep.read(dep.p(b3), f"warehouse.{d}.distill")
        dep.read(dep.p(f"{d}-assistant-ui"), ep)
    dep.plant("LT003", B2, chain_len=2)
    dep.plant("LT003", B3, chain_len=3)


def chain_base4_mixed(dep, d):
    """base_model, then `model:NAME` shorthand, then a job."""
    g = f"teams/{d}"
    b1, b2, m3, m4, j = (f"{d}-backbone", f"{d}-adapter", f"{d}-classifier",
                         f"{d}-escalation", f"{d}-aggregator")
    adapter = f"s3://ml-lake/{d}/adapter"
    labels = f"warehouse.{d}.labels"
    classes = f"warehouse.{d}.classes"
    rollup = f"warehouse.{d}.class_rollup"
    esc = f"warehouse.{d}.escalations"
    dep.add(g, "model", b1, outputs=[f"s3://ml-lake/{d}/backbone"])
    B2 = dep.add(g, "model", b2, base_model=f"model:{b1}", outputs=[adapter], consumers=[f"model:{m3}"])
    M3 = dep.add(g, "model", m3, inputs=[f"model:{b2}"], training=[labels], outputs=[classes],
                 consumers=[f"job:{j}"])
    dep.add(g, "job", j, inputs=[classes], outputs=[rollup])
    M4 = dep.add(g, "model", m4, training=[rollup], outputs=[esc])
    dep.read(dep.p(m3), adapter)
    dep.read(dep.p(m3), labels)
    dep.write(dep.p(m3), classes)
    dep.read(dep.p(j), classes)
    dep.write(dep.p(j), rollup)
    dep.read(dep.p(m4), rollup)
    dep.write(dep.p(m4), esc)
    dep.plant("LT003", B2, chain_len=2)
    dep.plant("LT003", M3, chain_len=3)
    dep.plant("LT003", M4, chain_len=4)


def chain_service2(dep, d):
    g = f"teams/{d}"
    m1, s, m2 = f"{d}-detector", f"{d}-triage", f"{d}-detector-v2"
    signals = f"raw.{d}.signals"
    alerts = f"warehouse.{d}.alerts"
    tl = f"warehouse.{d}.triage_labels"
    dep.add(g, "model", m1, training=[signals], outputs=[alerts], consumers=[f"service:{s}"])
    dep.add(g, "service", s, inputs=[alerts], outputs=[tl])
    M2 = dep.add(g, "model", m2, training=[tl], outputs=[f"warehouse.{d}.alerts_v2"], consumers=[])
    dep.read(dep.p(m1), signals)
    dep.write(dep.p(m1), alerts)
    dep.read(dep.p(s), alerts)
    dep.write(dep.p(s), tl)
    dep.read(dep.p(m2), tl)
    dep.write(dep.p(m2), f"warehouse.{d}.alerts_v2")
    dep.plant("LT003", M2, chain_len=2)


def chain_principal(dep, d):
    g = f"teams/{d}"
    m1, m2 = f"{d}-segmenter", f"{d}-targeting"
    prof = f"warehouse.{d}.profiles"
    seg = f"warehouse.{d}.segments"
    exp = f"warehouse.{d}.segment_export"
    pr = f"svc:legacy-{d}-sync"
    M1 = dep.add(g, "model", m1, training=[prof], outputs=[seg], consumers=[f"service:{d}-crm"])
    dep.add(g, "service", f"{d}-crm", inputs=[seg], clean=True)
    M2 = dep.add(g, "model", m2, training=[exp], outputs=[f"warehouse.{d}.targets"])
    dep.read(dep.p(m1), prof)
    dep.write(dep.p(m1), seg)
    dep.read(dep.p(f"{d}-crm"), seg)
    dep.read(pr, seg)
    dep.write(pr, exp)
    dep.read(dep.p(m2), exp)
    dep.write(dep.p(m2), f"warehouse.{d}.targets")
    dep.plant("LT001", M1, [f"principal:{pr}"])
    dep.plant("LT007", f"principal:{pr}")
    dep.plant("LT003", M2, chain_len=2)


def chain_diamond(dep, d):
    g = f"teams/{d}"
    m1, l, r, e = f"{d}-base-scorer", f"{d}-left", f"{d}-right", f"{d}-ensemble"
    base = f"warehouse.{d}.base_scores"
    dl, dr = f"warehouse.{d}.left_scores", f"warehouse.{d}.right_scores"
    dep.add(g, "model", m1, training=[f"warehouse.{d}.raw_features"], outputs=[base],
            consumers=[f"model:{l}", f"model:{r}", f"model:{e}"])
    L = dep.add(g, "model", l, training=[base], outputs=[dl], consumers=[f"model:{e}"])
    R = dep.add(g, "model", r, training=[base], outputs=[dr], consumers=[f"model:{e}"])
    E = dep.add(g, "model", e, inputs=[f"model:{l}", f"model:{r}"], training=[base],
                outputs=[f"endpoint:{e}"])
    dep.read(dep.p(m1), f"warehouse.{d}.raw_features")
    dep.write(dep.p(m1), base)
    for who, out in ((l, dl), (r, dr)):
        dep.read(dep.p(who), base)
        dep.write(dep.p(who), out)
    dep.read(dep.p(e), base)
    dep.read(dep.p(e), dl)
    dep.read(dep.p(e), dr)
    dep.plant("LT003", L, chain_len=2)
    dep.plant("LT003", R, chain_len=2)
    dep.plant("LT003", E, chain_len=3)


def chain_observed(dep, d):
    """The only edge between the two models is an observed read."""
    g = f"teams/{d}"
    m1, m2 = f"{d}-eta", f"{d}-eta-calibrator"
    preds = f"warehouse.{d}.eta_preds"
    trips = f"warehouse.{d}.trips"
    M1 = dep.add(g, "model", m1, training=[f"warehouse.{d}.gps"], outputs=[preds],
                 consumers=[f"service:{d}-tracker"])
    dep.add(g, "service", f"{d}-tracker", inputs=[preds], clean=True)
    M2 = dep.add(g, "model", m2, training=[trips], outputs=[f"warehouse.{d}.eta_calibrated"])
    dep.read(dep.p(m1), f"warehouse.{d}.gps")
    dep.write(dep.p(m1), preds)
    dep.read(dep.p(f"{d}-tracker"), preds)
    dep.read(dep.p(m2), trips)
    dep.read(dep.p(m2), preds)
    dep.write(dep.p(m2), f"warehouse.{d}.eta_calibrated")
    dep.plant("LT001", M1, [M2])
    dep.plant("LT004", M2, [f"dataset:{preds}"])
    dep.plant("LT003", M2, chain_len=2)


def chain_influences(dep, d):
    """A precedes B only through a dataset A influences: LT003, but no LT001 (not an output)."""
    g = f"teams/{d}"
    a, b = f"{d}-nudger", f"{d}-habit-model"
    taps = f"kafka://{d}.taps"
    dep.add(g, "model", a, training=[f"warehouse.{d}.profiles"], influences=[taps],
            outputs=[f"endpoint:{a}"], consumers=[f"service:{d}-app-shell"])
    dep.add(g, "service", f"{d}-app-shell", inputs=[f"endpoint:{a}"], clean=True)
    B = dep.add(g, "model", b, training=[taps], outputs=[f"warehouse.{d}.habits"])
    dep.read(dep.p(a), f"warehouse.{d}.profiles")
    dep.read(dep.p(f"{d}-app-shell"), f"endpoint:{a}")
    dep.read(dep.p(b), taps)
    dep.write(dep.p(b), f"warehouse.{d}.habits")
    dep.plant("LT003", B, chain_len=2)


def deps_job(dep, d):
    g = f"teams/{d}"
    j = f"{d}-etl"
    orders, cust, legacy = f"warehouse.{d}.orders", f"warehouse.{d}.customers", f"warehouse.{d}.legacy_segments"
    ret = f"warehouse.{d}.returns"
    J = dep.add(g, "job", j, inputs=[orders, cust, legacy], outputs=[f"warehouse.{d}.order_facts"])
    dep.read(dep.p(j), orders)
    dep.read(dep.p(j), cust)
    dep.read(dep.p(j), ret)
    dep.write(dep.p(j), f"warehouse.{d}.order_facts")
    dep.plant("LT005", J, [f"dataset:{legacy}"])
    dep.plant("LT004", J, [f"dataset:{ret}"])


def deps_shorthand_unused(dep, d):
    g = f"teams/{d}"
    x = f"{d}-propensity"
    ep = f"endpoint:{x}"
    dep.add(g, "model", x, training=[f"warehouse.{d}.sessions"], outputs=[f"warehouse.{d}.propensity", ep],
            consumers=[f"service:{d}-web", f"service:{d}-batch-*"])
    dep.add(g, "service", f"{d}-web", inputs=[f"model:{x}"], clean=True)
    S = dep.add(g, "service", f"{d}-mailer", inputs=[f"model:{x}", f"warehouse.{d}.mail_templates"])
    dep.read(dep.p(x), f"warehouse.{d}.sessions")
    dep.write(dep.p(x), f"warehouse.{d}.propensity")
    dep.read(dep.p(f"{d}-web"), ep)
    dep.read(dep.p(f"{d}-mailer"), f"warehouse.{d}.mail_templates")
    dep.plant("LT005", S, [f"model:{x}"])


def deps_shorthand_observed_output(dep, d):
    """`model:X` also stands for what X was only observed writing."""
    g = f"teams/{d}"
    x = f"{d}-shadow-scorer"
    dbg = f"warehouse.{d}.shadow_debug"
    X = dep.add(g, "model", x, training=[f"warehouse.{d}.events"], outputs=[f"warehouse.{d}.shadow_scores"],
                consumers=[f"service:{d}-monitor"])
    dep.add(g, "service", f"{d}-monitor", inputs=[f"model:{x}"], clean=True)
    dep.read(dep.p(x), f"warehouse.{d}.events")
    dep.write(dep.p(x), f"warehouse.{d}.shadow_scores")
    dep.write(dep.p(x), dbg)
    dep.read(dep.p(f"{d}-monitor"), dbg)
    dep.plant("LT008", X, [f"dataset:{dbg}"])


def deps_write_only(dep, d):
    g = f"teams/{d}"
    j = f"{d}-snapshotter"
    a, b = f"warehouse.{d}.accounts", f"warehouse.{d}.balances"
    J = dep.add(g, "job", j, inputs=[a, b], outputs=[f"s3://ml-lake/{d}/snapshots"])
    dep.write(dep.p(j), f"s3://ml-lake/{d}/snapshots")
    dep.plant("LT005", J, [f"dataset:{a}"])
    dep.plant("LT005", J, [f"dataset:{b}"])


def idle(dep, d):
    """Declared, never seen: LT005/LT006 stay silent."""
    g = f"teams/{d}"
    m = f"{d}-idle-model"
    dep.add(g, "model", m, training=[f"warehouse.{d}.snapshot"], inputs=[f"warehouse.{d}.lookup"],
            outputs=[f"warehouse.{d}.idle_scores"], consumers=[f"service:{d}-idle-app", f"job:{d}-idle-job"],
            clean=True)
    dep.add(g, "service", f"{d}-idle-app", inputs=[f"model:{m}"], clean=True)
    dep.add(g, "job", f"{d}-idle-job", inputs=[f"warehouse.{d}.idle_scores", f"warehouse.{d}.lookup"],
            outputs=[f"warehouse.{d}.idle_report"], clean=True)


def stale(dep, d):
    g = f"teams/{d}"
    m = f"{d}-intent"
    ep = f"endpoint:{m}"
    cat = f"warehouse.{d}.catalog"
    pr = f"svc:old-{d}-etl"
    M = dep.add(g, "model", m, training=[f"warehouse.{d}.utterances"], outputs=[f"warehouse.{d}.intents", ep],
                consumers=[f"service:{d}-web", f"service:{d}-mobile", f"service:{d}-kiosk",
                           f"principal:{pr}", f"service:{d}-report-*", f"job:{d}-backfill",
                           f"service:{d}-ghost"])
    dep.add(g, "service", f"{d}-web", inputs=[ep], clean=True)
    S = dep.add(g, "service", f"{d}-mobile", inputs=[cat])
    dep.add(g, "service", f"{d}-kiosk", inputs=[ep], clean=True)
    dep.add(g, "job", f"{d}-backfill", inputs=[f"warehouse.{d}.intents"], clean=True)
    dep.read(dep.p(m), f"warehouse.{d}.utterances")
    dep.write(dep.p(m), f"warehouse.{d}.intents")
    dep.read(dep.p(f"{d}-web"), ep)
    dep.read(dep.p(f"{d}-mobile"), cat)
    dep.read(pr, cat)
    dep.plant("LT006", M, [S])
    dep.plant("LT006", M, [f"principal:{pr}"])
    dep.plant("LT007", f"principal:{pr}")


def mw_declared(dep, d, *, logs):
    g = f"teams/{d}"
    dim = f"warehouse.{d}.dim_customers"
    A = dep.add(g, "job", f"{d}-loader-a", inputs=[f"raw.{d}.crm_a"], outputs=[dim])
    B = dep.add(g, "job", f"{d}-loader-b", inputs=[f"raw.{d}.crm_b"], outputs=[dim])
    if logs:
        dep.read(dep.p(f"{d}-loader-a"), f"raw.{d}.crm_a")
        dep.write(dep.p(f"{d}-loader-a"), dim)
        dep.read(dep.p(f"{d}-loader-b"), f"raw.{d}.crm_b")
        dep.write(dep.p(f"{d}-loader-b"), dim)
    dep.plant("LT009", f"dataset:{dim}", sorted([A, B]))


def mw_observed(dep, d):
    g = f"teams/{d}"
    inv = f"warehouse.{d}.inventory"
    A = dep.add(g, "job", f"{d}-sync", outputs=[inv])
    B = dep.add(g, "job", f"{d}-hotfix", outputs=[f"warehouse.{d}.hotfix_log"])
    dep.write(dep.p(f"{d}-sync"), inv)
    dep.write(dep.p(f"{d}-hotfix"), f"warehouse.{d}.hotfix_log")
    dep.write(dep.p(f"{d}-hotfix"), inv)
    dep.plant("LT008", B, [f"dataset:{inv}"])
    dep.plant("LT009", f"dataset:{inv}", sorted([A, B]))


def mw_principal(dep, d):
    g = f"teams/{d}"
    exp = f"s3://ml-lake/{d}/exports"
    pr = f"svc:legacy-{d}-loader"
    A = dep.add(g, "job", f"{d}-publisher", inputs=[f"warehouse.{d}.published"], outputs=[exp])
    dep.read(dep.p(f"{d}-publisher"), f"warehouse.{d}.published")
    dep.write(dep.p(f"{d}-publisher"), exp)
    dep.write(pr, exp)
    dep.plant("LT009", f"dataset:{exp}", sorted([A, f"principal:{pr}"]))
    dep.plant("LT007", f"principal:{pr}")


def mw_same_entity(dep, d):
    """Several principals, one entity (identity glob): one writer, silent."""
    g = f"teams/{d}"
    j = f"{d}-partitioner"
    parts = f"warehouse.{d}.partitions"
    dep.add(g, "job", j, identities=[f"svc:{j}-*"], inputs=[f"raw.{d}.stream"], outputs=[parts], clean=True)
    dep.clean.add(f"dataset:{parts}")
    for k in range(4):
        dep.read(f"svc:{j}-{k}", f"raw.{d}.stream")
        dep.write(f"svc:{j}-{k}", parts)


def identities_cluster(dep):
    """Exact beats glob, longer glob beats shorter; a leading-* glob; unmapped humans."""
    g = "platform/training"
    gen_f, ads_f, sp_f = "warehouse.ml.generic_features", "warehouse.ml.ads_features", "warehouse.ml.ads_special_features"
    dep.add(g, "job", "trainer-pool", identities=["svc:trainer-*"], inputs=[gen_f],
            outputs=["s3://ml-lake/checkpoints/generic"], clean=True)
    A = dep.add(g, "job", "ads-trainer-pool", identities=["svc:trainer-ads-*"], inputs=[ads_f],
                outputs=["s3://ml-lake/checkpoints/ads"])
    dep.add(g, "model", "ads-special", identities=["svc:trainer-ads-special", "svc:ads-special"],
            training=[sp_f], outputs=["s3://ml-lake/checkpoints/ads-special"], clean=True)
    N = dep.add(g, "service", "research-notebooks", identities=["*@research.corp"], inputs=[gen_f])
    for pr in ("svc:trainer-nightly", "svc:trainer-weekly"):
        dep.read(pr, gen_f)
        dep.write(pr, "s3://ml-lake/checkpoints/generic")
    for pr in ("svc:trainer-ads-1", "svc:trainer-ads-2"):
        dep.read(pr, ads_f)
        dep.write(pr, "s3://ml-lake/checkpoints/ads")
    dep.read("svc:trainer-ads-special", sp_f)
    dep.write("svc:trainer-ads-special", "s3://ml-lake/checkpoints/ads-special")
    # maps to ads-trainer-pool (longer glob), which does not declare generic features
    dep.read("svc:trainer-ads-3", gen_f)
    dep.plant("LT004", A, [f"dataset:{gen_f}"])
    dep.read("alice@research.corp", gen_f)
    dep.read("dave@research.corp", ads_f)
    dep.plant("LT004", N, [f"dataset:{ads_f}"])
    dep.read("bob@corp", gen_f)
    dep.plant("LT007", "principal:bob@corp")


# --------------------------------------------------------------------------- build


def build(rng):
    dep = Deployment(rng)
    logged_scores = []
    for i in range(18):
        d = dep.domain()
        s = clean_pipeline(dep, d, logs=(i % 3 != 2), shorthand=(i % 4 == 1), ingest=(i % 2 == 0),
                           trainer_glob=(i % 3 == 0))
        if s:
            logged_scores.append(s)
    reporting(dep, logged_scores)

    all_variants = ["declared-input", "undeclared-input", "principal", "observed-output", "glob"]
    for i in range(7):
        k = 2 + i % 3
        vs = set(rng.sample(all_variants, k))
        vs.add(all_variants[i % len(all_variants)])
        undeclared_consumer(dep, dep.domain(), vs)

    for i in range(3):
        loop_direct_influences(dep, dep.domain(), feed_writes=(i == 0))
    loop_direct_job(dep, dep.domain(), logs=True)
    loop_direct_job(dep, dep.domain(), logs=False)
    for _ in range(2):
        loop_hidden_observed_write(dep, dep.domain())
        loop_hidden_observed_read(dep, dep.domain())
    loop_hidden_principal(dep, dep.domain(), glob_consumer=False)
    loop_hidden_principal(dep, dep.domain(), glob_consumer=True)
    loop_two_models(dep, dep.domain(), downstream=True, logs=True)
    loop_two_models(dep, dep.domain(), downstream=False, logs=False)
    loop_two_models_influences(dep, dep.domain())
    loop_base_model(dep, dep.domain())

    chain_jobs4(dep, dep.domain(), logs=True)
    chain_jobs4(dep, dep.domain(), logs=False)
    chain_base3(dep, dep.domain(), logs=True)
    chain_base3(dep, dep.domain(), logs=False)
    chain_base4_mixed(dep, dep.domain())
    chain_base4_mixed(dep, dep.domain())
    chain_service2(dep, dep.domain())
    chain_service2(dep, dep.domain())
    chain_principal(dep, dep.domain())
    chain_diamond(dep, dep.domain())
    chain_observed(dep, dep.domain())
    chain_observed(dep, dep.domain())
    chain_influences(dep, dep.domain())

    for _ in range(3):
        deps_job(dep, dep.domain())
    deps_shorthand_unused(dep, dep.domain())
    deps_shorthand_unused(dep, dep.domain())
    deps_shorthand_observed_output(dep, dep.domain())
    deps_shorthand_observed_output(dep, dep.domain())
    deps_write_only(dep, dep.domain())
    for _ in range(4):
        idle(dep, dep.domain())
    for _ in range(3):
        stale(dep, dep.domain())

    mw_declared(dep, dep.domain(), logs=True)
    mw_declared(dep, dep.domain(), logs=False)
    mw_observed(dep, dep.domain())
    mw_observed(dep, dep.domain())
    mw_principal(dep, dep.domain())
    mw_principal(dep, dep.domain())
    mw_same_entity(dep, dep.domain())
    identities_cluster(dep)
    return dep


# --------------------------------------------------------------------------- YAML

_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@`")


def _numberish(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def yscalar(s, *, flow, rng):
    """A YAML scalar for string s: plain when safe, else a double-quoted (JSON) string."""
    safe = (s and s[0] not in _PLAIN_BAD_START and ": " not in s and " #" not in s
            and s.lower() not in RESERVED and not _numberish(s) and s == s.strip())
    if flow:
        safe = safe and not any(c in s for c in ",[]{}")
        # the spec's own example writes `[svc:fraud-scorer, ...]` unquoted; do so sometimes
        if ":" in s and rng.random() < 0.5:
            safe = False
    return s if safe else json.dumps(s)


def to_yaml(m, rng):
    flow = rng.random() < 0.5
    zero_indent = rng.random() < 0.3
    lines = []
    if rng.random() < 0.3:
        lines.append(f"# {m['kind']} {m['name']}")
    for key, val in m.items():
        if isinstance(val, list):
            if not val:
                lines.append(f"{key}: []")
            elif flow:
                lines.append(f"{key}: [" + ", ".join(yscalar(v, flow=True, rng=rng) for v in val) + "]")
            else:
                lines.append(f"{key}:")
                ind = "" if zero_indent else "  "
                lines.extend(f"{ind}- {yscalar(v, flow=False, rng=rng)}" for v in val)
        elif isinstance(val, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {json.dumps(v)}" for k, v in val.items())
        elif key == "version":
            lines.append(f'{key}: "{val}"')
        else:
            line = f"{key}: {yscalar(val, flow=False, rng=rng)}"
            if key == "owner" and rng.random() < 0.3:
                line += "  # pager: #oncall"
            lines.append(line)
    return "\n".join(lines) + "\n"


def write_manifests(dep, rng):
    """Lay the manifests out: per group, a YAML stream, or one file each (some JSON)."""
    groups = {}
    for g, m in dep.manifests:
        groups.setdefault(g, []).append(m)
    index = []
    for g, ms in groups.items():
        base = OUT / "manifests" / g
        base.mkdir(parents=True, exist_ok=True)
        if len(ms) > 1 and rng.random() < 0.4:
            rel = f"manifests/{g}/all.yaml"
            parts = []
            if rng.random() < 0.5:
                parts.append(f"# {g}: {len(ms)} manifests\n---\n")
            for i, m in enumerate(ms):
                if i:
                    parts.append("---\n")
                parts.append(to_yaml(m, rng))
            (OUT / rel).write_text("".join(parts))
            index.extend({"file": rel, "manifest": m} for m in ms)
            continue
        for m in ms:
            r = rng.random()
            ext = "json" if r < 0.12 else ("yml" if r < 0.22 else "yaml")
            rel = f"manifests/{g}/{m['kind']}-{m['name']}.{ext}"
            if ext == "json":
                (OUT / rel).write_text(json.dumps(m, indent=2) + "\n")
            else:
                (OUT / rel).write_text(to_yaml(m, rng))
            index.append({"file": rel, "manifest": m})
    return index


# --------------------------------------------------------------------------- logs


def log_file_for(resource):
    if resource.startswith("endpoint:"):
        return "logs/serving/gateway.jsonl"
    if resource.startswith(("s3://", "kafka://")):
        return "logs/lake-access.jsonl"
    return "logs/warehouse-access.jsonl"


def fmt_ts(t, rng):
    if rng.random() < 0.1:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_logs(dep, rng):
    edges = list(dict.fromkeys(dep.observed))
    files = {}
    for principal, action, resource in edges:
        out = files.setdefault(log_file_for(resource), [])
        if rng.random() < 0.08:
            # one pre-aggregated line
            a = START + timedelta(seconds=rng.randrange(SPAN_SECONDS // 2))
            b = a + timedelta(seconds=rng.randrange(SPAN_SECONDS // 2))
            rec = {"ts": fmt_ts(b, rng), "principal": principal, "action": action, "resource": resource,
                   "count": rng.randint(50, 5000), "first_seen": fmt_ts(a, rng), "last_seen": fmt_ts(b, rng)}
            out.append((b, rec))
            continue
        for _ in range(rng.randint(2, 14)):
            t = START + timedelta(seconds=rng.randrange(SPAN_SECONDS), microseconds=rng.randrange(1000) * 1000)
            rec = {"ts": fmt_ts(t, rng), "principal": principal, "action": action, "resource": resource}
            if rng.random() < 0.25:
                rec["count"] = rng.randint(2, 400)
            if rng.random() < 0.1:
                rec["bytes"] = rng.randint(1000, 10_000_000)
            if rng.random() < 0.05:
                rec["job"] = f"run-{rng.randint(1000, 9999)}"
            out.append((t, rec))
    total = 0
    for rel, recs in files.items():
        recs.sort(key=lambda tr: (tr[0], json.dumps(tr[1], sort_keys=True)))
        path = OUT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as f:
            for _, rec in recs:
                f.write(json.dumps(rec, separators=(",", ":")) + "\n")
        total += len(recs)
    return total, len(edges)


def main():
    rng = random.Random(SEED)
    dep = build(rng)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    index = write_manifests(dep, rng)
    lines, edges = write_logs(dep, rng)
    (HERE / "manifests.json").write_text(json.dumps(index, separators=(",", ":")) + "\n")
    planted = {
        "findings": sorted(dep.planted, key=lambda f: (f["code"], f["subject"], f["related"])),
        "clean": sorted(dep.clean),
    }
    (HERE / "planted.json").write_text(json.dumps(planted, indent=1) + "\n")
    kinds = {}
    for _, m in dep.manifests:
        kinds[m["kind"]] = kinds.get(m["kind"], 0) + 1
    print(f"entities: {len(dep.manifests)} {kinds}; observed edges: {edges}; log lines: {lines}; "
          f"planted findings: {len(dep.planted)}")


if __name__ == "__main__":
    main()
