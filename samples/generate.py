#!/usr/bin/env python3
"""Generate the lintage demo deployments under samples/.

    python3 samples/generate.py

writes, next to this script:

  payments/          a payments company's ML platform, with every rule LT001-LT009 firing
  payments-clean/    the same company after fixing the two errors (no LT001, no LT002)
  README.md          the story of each sample and which file/line causes which finding

Python 3.11, standard library only. The random seed is fixed and the gzip header
carries no timestamp, so every run writes byte-identical files.
"""

from __future__ import annotations

import gzip
import json
import math
import random
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20261101

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
DAYS = 28  # 2026-11-01 .. 2026-11-28
BLACK_FRIDAY = 27  # day of month

# (first day, last day, file name): the logs are rotated every ten days; the last
# file was compressed by the log shipper.
LOG_FILES = [
    (1, 10, "access-2026-11-01.jsonl"),
    (11, 20, "access-2026-11-11.jsonl"),
    (21, 28, "access-2026-11-21.jsonl.gz"),
]

# Shadow scoring of the fraud-scorer v4 candidate starts on this day.
SHADOW_FROM_DAY = 12
# Marketing starts excluding risky users from campaigns on this day.
MARKETING_FROM_DAY = 6


# --------------------------------------------------------------------------------------
# Manifests
# --------------------------------------------------------------------------------------


def manifests(clean: bool) -> dict[str, str]:
    """Relative path -> YAML text."""
    files: dict[str, str] = {}

    files["manifests/models/device-risk.yaml"] = """\
# Device risk: scores the device behind a payment (emulators, fingerprint churn,
# SIM swaps). Its scores are a feature of the fraud scorer.
kind: model
name: device-risk
version: "2"
owner: risk-ml
description: "Device risk score per payment attempt"
identities: [svc:device-risk, svc:device-risk-trainer-*]
inputs:   [warehouse.events.device_fingerprints]
training: [warehouse.events.device_fingerprints, warehouse.labels.account_takeover]
outputs:  [warehouse.scores.device_risk, endpoint:device-risk]
# Checkout called endpoint:device-risk directly until checkout v2 (September);
# it now gets the device signal inside the fraud score. Nobody removed it here.
consumers: [model:fraud-scorer, service:checkout]
"""

    marketing = (
        "  - service:marketing-campaigns   # contract FRAUD-214: audiences exclude score > 0.8\n"
        if clean
        else ""
    )
    files["manifests/models/fraud-scorer.yaml"] = f"""\
# Fraud scorer: the score that checkout uses to approve, challenge or decline a payment.
kind: model
name: fraud-scorer
version: "3"
owner: risk-ml
tier: critical
description: "Real-time fraud score per payment attempt"
identities: [svc:fraud-scorer, svc:fraud-trainer-*]
inputs:
  - warehouse.features.user_txn_7d
  - warehouse.features.merchant_risk_30d
  - warehouse.features.ip_geo_legacy   # v2 feature; v3 uses model:device-risk instead
  - model:device-risk                  # all outputs of device-risk
training:
  - warehouse.features.user_txn_7d
  - warehouse.features.merchant_risk_30d
  - warehouse.labels.chargebacks
  - model:device-risk
outputs: [warehouse.scores.fraud, endpoint:fraud-scorer]
consumers:
  - service:checkout
  - model:chargeback-predictor
  - service:reporting-*
{marketing}"""

    files["manifests/models/chargeback-predictor.yaml"] = """\
# Chargeback predictor: which approved payments will come back as chargebacks.
# Built on the fraud scores, which are built on the device risk scores.
kind: model
name: chargeback-predictor
version: "1"
owner: disputes-ml
description: "Chargeback probability per settled payment, for merchant reserves"
identities: [svc:chargeback-predictor, svc:chargeback-trainer-*]
inputs:   [warehouse.scores.fraud, warehouse.features.user_txn_7d]
training: [warehouse.scores.fraud, warehouse.labels.chargebacks]
outputs:  [warehouse.scores.chargeback_risk]
consumers: [service:reporting-*]
"""

    if clean:
        reco_training = (
            "# Trains on the exploration slice only: 5% of wallet users get randomised\n"
            "# offers, so what they click does not depend on this model.\n"
            "training: [warehouse.events.clickstream_holdout]\n"
        )
    else:
        reco_training = "training: [warehouse.events.clickstream]\n"
    files["manifests/models/recommender.yaml"] = f"""\
# Recommender: which offers (cashback, BNPL, card upgrades) the wallet app shows.
kind: model
name: recommender
version: "5"
owner: growth-ml
description: "Offer ranking for the wallet app home screen"
identities: [svc:recommender, svc:reco-trainer-*]
inputs: [warehouse.features.user_profile]
{reco_training}outputs: [endpoint:recommender]
consumers: [service:wallet-app]
# What the wallet app shows changes what users click: the clicks are collected on
# the phones, so no log shows this edge; it is declared here.
influences: [warehouse.events.clickstream]
"""

    files["manifests/models/payments-foundation.yaml"] = """\
# Transaction-sequence foundation model, pre-trained by the ML platform team on
# two years of anonymised payment sequences. Teams fine-tune it (see base_model).
kind: model
name: payments-foundation
version: "2"
owner: ml-platform
description: "Transaction encoder, 120M parameters"
outputs: [s3://payments-ml/foundation/txn-encoder-v2]
"""

    files["manifests/models/merchant-categorizer.yaml"] = """\
# Merchant categorizer: assigns a merchant category from the card descriptor.
kind: model
name: merchant-categorizer
version: "1"
owner: merchant-ml
description: "Merchant category from descriptor text"
base_model: model:payments-foundation
identities: [svc:merchant-categorizer]
inputs:   [warehouse.merchants.descriptors]
training: [warehouse.merchants.descriptors, warehouse.merchants.labeled_categories]
outputs:  [warehouse.merchants.categories]
consumers: [service:reporting-*]
"""

    holdout = ", warehouse.events.clickstream_holdout" if clean else ""
    files["manifests/jobs/feature-jobs.yaml"] = f"""\
# Feature and ingestion jobs, run by Airflow (data-platform team).
kind: job
name: feature-builder
owner: data-platform
identities: [svc:feature-builder]
inputs:  [warehouse.raw.transactions, warehouse.raw.merchants]
outputs:
  - warehouse.features.user_txn_7d        # every 3 hours
  - warehouse.features.merchant_risk_30d  # daily
  - warehouse.features.user_profile       # daily
---
kind: job
name: clickstream-ingest
owner: data-platform
identities: [svc:clickstream-ingest]
inputs:  [kafka://wallet.events]
outputs: [warehouse.events.clickstream{holdout}]
"""

    files["manifests/jobs/label-builder.yaml"] = """\
# Label builder: turns disputes and chargebacks into training labels.
kind: job
name: label-builder
version: "4"
owner: disputes-eng
identities: [svc:label-builder]
inputs:  [warehouse.disputes.chargebacks_raw]
outputs: [warehouse.labels.chargebacks]
"""

    files["manifests/services.yaml"] = """\
# Applications (one document each).
kind: service
name: checkout
owner: checkout-eng
tier: critical
identities: [svc:checkout]
inputs:  [endpoint:fraud-scorer]
outputs: [kafka://payments.orders]
---
kind: service
name: wallet-app
owner: wallet-eng
identities: [svc:wallet-app]
inputs: [endpoint:recommender]
---
kind: service
name: reporting-dashboard
owner: finance-analytics
identities: [svc:reporting-dashboard]
inputs:
  - warehouse.scores.fraud
  - warehouse.scores.chargeback_risk
  - warehouse.merchants.categories
---
# Campaign audiences: marketing leaves out users whose fraud score is high.
kind: service
name: marketing-campaigns
owner: marketing
identities: [svc:marketing-campaigns]
inputs:  [warehouse.scores.fraud, warehouse.events.clickstream]
outputs: [warehouse.marketing.audiences]
"""
    return files


# --------------------------------------------------------------------------------------
# Access logs
# --------------------------------------------------------------------------------------


@dataclass
class Event:
    ts: datetime
    principal: str
    action: str
    resource: str
    count: int | None = None
    extra: dict = field(default_factory=dict)
    only: str | None = None  # "main" or "clean": only in that sample; None: in both

    def line(self) -> str:
        obj: dict = {
            "ts": self.ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
        }
        if self.count is not None:
            obj["count"] = self.count
        obj.update(self.extra)
        return json.dumps(obj, separators=(",", ":"))


def diurnal(hour: int) -> float:
    """Payment traffic: low at 04:00 UTC, high in the (European) afternoon."""
    return 0.55 - 0.45 * math.cos((hour - 4) / 24 * 2 * math.pi)


def traffic(day: int, hour: int) -> float:
    weekday = (START + timedelta(days=day - 1)).weekday()
    f = diurnal(hour) * (1.15 if weekday >= 4 else 1.0)
    if day == BLACK_FRIDAY:
        f *= 2.6
    elif day == BLACK_FRIDAY + 1:
        f *= 1.8
    return f


def events(rng: random.Random) -> list[Event]:
    ev: list[Event] = []

    def at(day: int, hour: int, minute: int = 0, jitter: int = 0) -> datetime:
        t = START + timedelta(days=day - 1, hours=hour, minutes=minute)
        return t + timedelta(seconds=rng.randrange(jitter + 1))

    def add(t, principal, action, resource, count=None, only=None, **extra):
        ev.append(Event(t, principal, action, resource, count, extra, only))

    for day in range(1, DAYS + 1):
        weekday = (START + timedelta(days=day - 1)).weekday()

        for hour in range(24):
            tf = traffic(day, hour)

            # checkout: authorisation calls to the fraud scorer, aggregated per 2 hours
            if hour % 2 == 0:
                calls = int(2 * 5200 * tf * rng.uniform(0.92, 1.08))
                add(at(day, hour, 59, 60) + timedelta(hours=1), "svc:checkout", "read",
                    "endpoint:fraud-scorer", calls)
                add(at(day, hour, 59, 60) + timedelta(hours=1), "svc:checkout", "write",
                    "kafka://payments.orders", int(calls * rng.uniform(0.955, 0.965)))

            # fraud scorer (serving), aggregated per 4 hours
            if hour % 4 == 0:
                calls = int(4 * 5200 * tf * rng.uniform(0.95, 1.05))
                t = at(day, hour, 3, 0) + timedelta(hours=4)
                add(t, "svc:fraud-scorer", "read", "endpoint:device-risk", calls)
                add(t + timedelta(seconds=1), "svc:fraud-scorer", "read",
                    "warehouse.features.user_txn_7d", calls)
                add(t + timedelta(seconds=2), "svc:fraud-scorer", "read",
                    "warehouse.features.merchant_risk_30d", calls)
                add(t + timedelta(seconds=3), "svc:fraud-scorer", "write",
                    "warehouse.scores.fraud", calls)
                if day >= SHADOW_FROM_DAY:
                    # v4 candidate scored in shadow mode: a table nobody declared
                    add(t + timedelta(seconds=4), "svc:fraud-scorer", "write",
                        "warehouse.scores.fraud_shadow", calls)

                # device risk (serving)
                add(at(day, hour, 2, 0) + timedelta(hours=4), "svc:device-risk", "read",
                    "warehouse.events.device_fingerprints", int(calls * 1.02))
                add(at(day, hour, 2, 0) + timedelta(hours=4, seconds=1), "svc:device-risk",
                    "write", "warehouse.scores.device_risk", calls)

                # wallet app asking for offers; recommender reading profiles
                opens = int(4 * 2300 * diurnal((hour + 2) % 24) * rng.uniform(0.9, 1.1))
                add(at(day, hour, 4, 50) + timedelta(hours=4), "svc:wallet-app", "read",
                    "endpoint:recommender", opens)
                add(at(day, hour, 5, 50) + timedelta(hours=4), "svc:recommender", "read",
                    "warehouse.features.user_profile", opens)

                # clickstream ingest from the wallet's event topic
                clicks = int(opens * rng.uniform(2.8, 3.4))
                t = at(day, hour, 30, 120)
                add(t, "svc:clickstream-ingest", "read", "kafka://wallet.events", clicks,
                    job="clickstream_4h")
                add(t + timedelta(seconds=40), "svc:clickstream-ingest", "write",
                    "warehouse.events.clickstream", clicks, job="clickstream_4h")
                add(t + timedelta(seconds=41), "svc:clickstream-ingest", "write",
                    "warehouse.events.clickstream_holdout", clicks // 20,
                    only="clean", job="clickstream_4h")

            # feature builder: incremental user features every 3 hours
            if hour % 3 == 0:
                t = at(day, hour, 15, 90)
                add(t, "svc:feature-builder", "read", "warehouse.raw.transactions",
                    job="features_3h", bytes=rng.randrange(180, 260) * 2**20)
                add(t + timedelta(seconds=rng.randrange(200, 400)), "svc:feature-builder",
                    "write", "warehouse.features.user_txn_7d", job="features_3h")

        # ---- daily batch jobs ---------------------------------------------------------
        t = at(day, 0, 20, 120)
        add(t, "svc:feature-builder", "read", "warehouse.raw.transactions",
            job="features_daily", bytes=rng.randrange(1900, 2300) * 2**20)
        add(t + timedelta(seconds=5), "svc:feature-builder", "read", "warehouse.raw.merchants",
            job="features_daily")
        add(t + timedelta(minutes=23), "svc:feature-builder", "write",
            "warehouse.features.merchant_risk_30d", job="features_daily")
        add(t + timedelta(minutes=31), "svc:feature-builder", "write",
            "warehouse.features.user_profile", job="features_daily")

        # label builder: disputes -> labels. Before the fix it also joins the fraud
        # scores to label declined payments (which can never charge back).
        t = at(day, 1, 30, 300)
        add(t, "svc:label-builder", "read", "warehouse.disputes.chargebacks_raw")
        add(t + timedelta(seconds=12), "svc:label-builder", "read", "warehouse.scores.fraud",
            only="main")
        add(t + timedelta(minutes=9), "svc:label-builder", "write",
            "warehouse.labels.chargebacks")

        # a cron job from the pre-warehouse era that still recomputes merchant risk
        t = at(day, 2, 5, 30)
        add(t, "svc:legacy-batch", "read", "warehouse.raw.transactions")
        add(t + timedelta(seconds=2), "svc:legacy-batch", "read", "warehouse.raw.merchants")
        add(t + timedelta(minutes=41), "svc:legacy-batch", "write",
            "warehouse.features.merchant_risk_30d")

        # chargeback predictor: nightly batch over settled payments
        t = at(day, 3, 10, 60)
        add(t, "svc:chargeback-predictor", "read", "warehouse.scores.fraud")
        add(t + timedelta(seconds=3), "svc:chargeback-predictor", "read",
            "warehouse.features.user_txn_7d")
        add(t + timedelta(minutes=14), "svc:chargeback-predictor", "write",
            "warehouse.scores.chargeback_risk")

        # recommender: retrained every night
        t = at(day, 4, 0, 120)
        add(t, "svc:reco-trainer-2", "read", "warehouse.events.clickstream", only="main")
        add(t, "svc:reco-trainer-2", "read", "warehouse.events.clickstream_holdout",
            only="clean")
        add(t + timedelta(seconds=8), "svc:reco-trainer-2", "read",
            "warehouse.features.user_profile")

        # merchant categorizer: nightly batch
        t = at(day, 5, 0, 120)
        add(t, "svc:merchant-categorizer", "read", "warehouse.merchants.descriptors",
            rng.randrange(300, 900))
        add(t + timedelta(minutes=6), "svc:merchant-categorizer", "write",
            "warehouse.merchants.categories")

        # marketing: builds tomorrow's campaign audiences
        if day >= MARKETING_FROM_DAY:
            t = at(day, 6, 0, 240)
            add(t, "svc:marketing-campaigns", "read", "warehouse.events.clickstream")
            add(t + timedelta(seconds=30), "svc:marketing-campaigns", "read",
                "warehouse.scores.fraud")
            add(t + timedelta(minutes=4), "svc:marketing-campaigns", "write",
                "warehouse.marketing.audiences")

        # reporting dashboard: refreshed in office hours on weekdays
        if weekday < 5:
            for hour in (8, 12, 16):
                t = at(day, hour, 0, 600)
                add(t, "svc:reporting-dashboard", "read", "warehouse.scores.fraud",
                    rng.randrange(3, 30))
                add(t + timedelta(seconds=4), "svc:reporting-dashboard", "read",
                    "warehouse.scores.chargeback_risk", rng.randrange(2, 12))
                if hour == 8:
                    add(t + timedelta(seconds=9), "svc:reporting-dashboard", "read",
                        "warehouse.merchants.categories")

        # ---- weekly training runs -----------------------------------------------------
        if weekday == 0:  # Monday: device risk
            t = at(day, 9, 0, 600)
            for i, res in enumerate(
                ["warehouse.events.device_fingerprints", "warehouse.labels.account_takeover"]
            ):
                add(t + timedelta(seconds=20 * i), "svc:device-risk-trainer-3", "read", res)
        if weekday == 1:  # Tuesday: fraud scorer, on whichever pod the scheduler picks
            trainer = "svc:fraud-trainer-7" if day < 15 else "svc:fraud-trainer-12"
            t = at(day, 10, 0, 600)
            for i, res in enumerate(
                [
                    "warehouse.features.user_txn_7d",
                    "warehouse.features.merchant_risk_30d",
                    "warehouse.scores.device_risk",
                    "warehouse.labels.chargebacks",
                ]
            ):
                add(t + timedelta(seconds=15 * i), trainer, "read", res,
                    bytes=rng.randrange(400, 2400) * 2**20)
        if weekday == 2:  # Wednesday: merchant categorizer fine-tuning
            t = at(day, 11, 0, 600)
            add(t, "svc:merchant-categorizer", "read", "warehouse.merchants.labeled_categories")
            add(t + timedelta(seconds=7), "svc:merchant-categorizer", "read",
                "warehouse.merchants.descriptors")
        if weekday == 6:  # Sunday: chargeback predictor
            t = at(day, 7, 0, 600)
            add(t, "svc:chargeback-trainer-1", "read", "warehouse.scores.fraud")
            add(t + timedelta(seconds=11), "svc:chargeback-trainer-1", "read",
                "warehouse.labels.chargebacks")

    # The last windows of the 4-hourly aggregates end after the 28th: drop them.
    end = START + timedelta(days=DAYS)
    ev = [e for e in ev if e.ts < end]
    ev.sort(key=lambda e: (e.ts, e.principal, e.action, e.resource))
    return ev


# Malformed lines, only in the unfixed sample; each goes where its timestamp belongs.
# lintage skips them, counts them and reports their file and line.
MALFORMED = [
    # the log shipper dropped the resource field of one line
    '{"ts":"2026-11-07T00:20:41Z","principal":"svc:feature-builder",'
    '"action":"write","job":"features_daily"}',
    # a line cut short when the shipper was OOM-killed
    '{"ts":"2026-11-15T13:02:11Z","principal":"svc:checkout","action":"read","reso',
    # an event with no principal at all
    '{"ts":"2026-11-23T06:01:19Z","action":"read","resource":"warehouse.scores.fraud"}',
]


def malformed_ts(text: str) -> datetime:
    stamp = text.split('"ts":"')[1][:20]
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def write_logs(root: Path, clean: bool, evs: list[Event]) -> dict:
    """Writes the log files; returns {(principal, action, resource): [(file, line), ...]}."""
    variant = "clean" if clean else "main"
    where: dict = {}
    malformed_at: list[tuple[str, int, str]] = []
    (root / "logs").mkdir(parents=True, exist_ok=True)
    for first, last, name in LOG_FILES:
        lo = START + timedelta(days=first - 1)
        hi = START + timedelta(days=last)
        good = [e for e in evs if lo <= e.ts < hi and e.only in (None, variant)]
        lines: list[str] = []
        bad = [] if clean else [t for t in MALFORMED if lo <= malformed_ts(t) < hi]
        for e in good:
            while bad and malformed_ts(bad[0]) <= e.ts:
                lines.append(bad.pop(0))
                malformed_at.append((f"logs/{name}", len(lines), lines[-1]))
            lines.append(e.line())
            where.setdefault((e.principal, e.action, e.resource), []).append(
                (f"logs/{name}", len(lines), e.ts)
            )
        data = ("\n".join(lines) + "\n").encode()
        path = root / "logs" / name
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        else:
            path.write_bytes(data)
    where["__malformed__"] = malformed_at
    return where


# --------------------------------------------------------------------------------------
# Expected findings (derived by hand from SPEC.md; see samples/README.md)
# --------------------------------------------------------------------------------------

# In the order lintage prints them: (code, subject, related, path).
# (code, severity, subject, related or path, evidence key or None, why)
FINDINGS_MAIN = [
    ("LT001", "error", "model:fraud-scorer", "job:label-builder",
     ("svc:label-builder", "read", "warehouse.scores.fraud"),
     "`job:label-builder` reads `warehouse.scores.fraud`; `manifests/models/fraud-scorer.yaml` "
     "does not list it in `consumers`"),
    ("LT001", "error", "model:fraud-scorer", "service:marketing-campaigns",
     ("svc:marketing-campaigns", "read", "warehouse.scores.fraud"),
     "marketing reads the fraud scores (from Nov 6) to filter campaign audiences; "
     "fraud-scorer.yaml's `consumers` name only checkout, chargeback-predictor and "
     "`service:reporting-*`"),
    ("LT002", "error", "model:fraud-scorer",
     "path model:fraud-scorer → dataset:warehouse.scores.fraud → job:label-builder → "
     "dataset:warehouse.labels.chargebacks → model:fraud-scorer; loop_kind hidden",
     ("svc:label-builder", "read", "warehouse.scores.fraud"),
     "the label job's undeclared read of the scores closes the loop: fraud-scorer trains on "
     "labels that were made from its own scores. Only the observed edge closes it"),
    ("LT002", "error", "model:recommender",
     "path model:recommender → dataset:warehouse.events.clickstream → model:recommender; "
     "loop_kind direct",
     None,
     "`manifests/models/recommender.yaml` declares `influences: [warehouse.events.clickstream]` "
     "and `training: [warehouse.events.clickstream]`"),
    ("LT003", "warning", "model:chargeback-predictor",
     "path model:device-risk → model:fraud-scorer → model:chargeback-predictor",
     ("svc:chargeback-predictor", "read", "warehouse.scores.fraud"),
     "chargeback-predictor reads `warehouse.scores.fraud`, fraud-scorer reads device-risk "
     "(3 models: warning)"),
    ("LT003", "info", "model:fraud-scorer", "path model:device-risk → model:fraud-scorer",
     ("svc:fraud-scorer", "read", "endpoint:device-risk"),
     "`inputs: [model:device-risk]` in fraud-scorer.yaml (2 models: info)"),
    ("LT003", "info", "model:merchant-categorizer",
     "path model:payments-foundation → model:merchant-categorizer", None,
     "`base_model: model:payments-foundation` in merchant-categorizer.yaml"),
    ("LT004", "warning", "job:label-builder", "dataset:warehouse.scores.fraud",
     ("svc:label-builder", "read", "warehouse.scores.fraud"),
     "`manifests/jobs/label-builder.yaml` declares only `warehouse.disputes.chargebacks_raw`"),
    ("LT005", "warning", "model:fraud-scorer", "dataset:warehouse.features.ip_geo_legacy", None,
     "declared in fraud-scorer's `inputs` (a v2 feature) but no fraud-scorer identity ever "
     "reads it, while `svc:fraud-scorer` and `svc:fraud-trainer-*` read everything else"),
    ("LT006", "info", "model:device-risk", "service:checkout",
     ("svc:checkout", "read", "endpoint:fraud-scorer"),
     "device-risk.yaml lists `service:checkout` in `consumers`; checkout never reads "
     "`endpoint:device-risk` or `warehouse.scores.device_risk` but is busy reading "
     "`endpoint:fraud-scorer` (evidence of activity)"),
    ("LT007", "info", "principal:svc:legacy-batch", "—",
     ("svc:legacy-batch", "read", "warehouse.raw.transactions"),
     "no manifest has an identity matching `svc:legacy-batch`"),
    ("LT008", "warning", "model:fraud-scorer", "dataset:warehouse.scores.fraud_shadow",
     ("svc:fraud-scorer", "write", "warehouse.scores.fraud_shadow"),
     "the v4 candidate runs in shadow mode from Nov 12 and writes a table that "
     "fraud-scorer.yaml does not declare in `outputs`"),
    ("LT009", "warning", "dataset:warehouse.features.merchant_risk_30d",
     "job:feature-builder, principal:svc:legacy-batch",
     ("svc:legacy-batch", "write", "warehouse.features.merchant_risk_30d"),
     "declared output of `job:feature-builder` (feature-jobs.yaml), written by it around "
     "00:45 and overwritten every night around 02:45 by `svc:legacy-batch`"),
]

FIXED_IN_CLEAN = {
    ("LT001", "model:fraud-scorer", "job:label-builder"),
    ("LT001", "model:fraud-scorer", "service:marketing-campaigns"),
    ("LT002", "model:fraud-scorer"),
    ("LT002", "model:recommender"),
    ("LT004", "job:label-builder", "dataset:warehouse.scores.fraud"),
}


def finding_key(f) -> tuple:
    code, _, subject, related = f[0], f[1], f[2], f[3]
    return (code, subject) if code == "LT002" else (code, subject, related)


def evidence(where: dict, key) -> str:
    if key is None:
        return "manifests only"
    hits = where.get(key, [])
    if not hits:
        raise SystemExit(f"generate.py: no log line for {key}")
    file, line, first = hits[0]
    last = hits[-1][2]
    return (f"`{file}` line {line} (first of {len(hits)} lines, "
            f"{first:%b %d} – {last:%b %d})")


def ids(text: str) -> str:
    """Puts node ids in backticks."""
    return re.sub(r"((?:model|job|service|dataset|principal):[\w.:*-]+)", r"`\1`", text)


def readme(where_main: dict, where_clean: dict, sizes: dict) -> str:
    out: list[str] = []
    w = out.append
    w("# Sample deployments\n")
    w("Generated by `samples/generate.py` (Python 3.11, standard library only, fixed seed: "
      "every run writes the same bytes). To regenerate:\n")
    w("```sh\npython3 samples/generate.py\n```\n")
    w("Then scan:\n")
    w("```sh\nlintage scan samples/payments          # exits 1: four errors\n"
      "lintage scan samples/payments-clean    # exits 0: warnings and info only\n```\n")
    w("Both samples are the ML platform of a payments company, as native lintage input: one "
      "YAML manifest per model and job under `manifests/` (`manifests/services.yaml` and "
      "`manifests/jobs/feature-jobs.yaml` are `---` streams of several manifests) and four "
      "weeks of NDJSON access logs (November 1–28, 2026) under `logs/`, rotated every ten "
      "days; the last file is gzip-compressed. Log lines for high-volume traffic (checkout "
      "calling the fraud scorer, the wallet app calling the recommender) are aggregated "
      "with `count`; batch jobs log one line per read or write.\n")

    w("## `payments/`: before the clean-up\n")
    w("Checkout approves or declines each payment with the **fraud scorer**, which reads "
      "user and merchant features built by `job:feature-builder` and the scores of "
      "**device-risk**. The **chargeback predictor** is built on the fraud scores, so "
      "device-risk → fraud-scorer → chargeback-predictor is a chain of three models "
      "(LT003) where a change upstream silently shifts everything downstream. The "
      "**merchant categorizer** is fine-tuned from the in-house **payments-foundation** "
      "model (`base_model`). The wallet app shows offers ranked by the **recommender**, "
      "which trains on the clickstream that its own offers shape (a direct feedback loop, "
      "declared with `influences`). Less visibly: `job:label-builder` reads the fraud "
      "scores to label declined payments, and the fraud scorer trains on those labels, so "
      "the model learns from its own decisions; the manifests show no such edge, only the "
      "logs do (a hidden loop). Marketing filters campaign audiences on the fraud scores "
      "without the risk team knowing. A cron job from before the warehouse, "
      "`svc:legacy-batch`, belongs to no manifest and overwrites a feature table every "
      "night. The fraud scorer's v4 candidate writes shadow scores to a table nobody "
      "declared, its manifest still lists a feature it stopped reading, and device-risk "
      "still lists checkout as a consumer though checkout stopped calling it.\n")
    w(f"Files: {sizes['main']}.\n")
    w("| finding | severity | subject | related / path | what in the files causes it | "
      "first evidence |")
    w("| --- | --- | --- | --- | --- | --- |")
    for code, sev, subject, related, key, why in FINDINGS_MAIN:
        w(f"| {code} | {sev} | `{subject}` | {ids(related)} | {why} | "
          f"{evidence(where_main, key)} |")
    w("")
    w("Malformed lines (skipped, counted and reported with file and line; `--strict` makes "
      "them an error):\n")
    for file, line, text in where_main["__malformed__"]:
        kind = ("truncated JSON" if not text.endswith("}")
                else "no `resource`" if '"resource"' not in text
                else "no `principal`")
        w(f"- `{file}` line {line}: {kind}")
    w("")
    w("Things that look suspicious but are not findings, on purpose: "
      "`service:reporting-dashboard` reads three model outputs and is covered by the glob "
      "consumer `service:reporting-*`; marketing reads `warehouse.events.clickstream`, which "
      "the recommender only *influences* (an influence is not an output); the fraud scorer's "
      "training pods `svc:fraud-trainer-7` and `svc:fraud-trainer-12` map to "
      "`model:fraud-scorer` through the glob identity `svc:fraud-trainer-*`, and their reads "
      "of `warehouse.scores.device_risk` are declared by `model:device-risk` (which stands "
      "for all outputs of device-risk); `model:payments-foundation` has no identities and no "
      "log activity, so nothing is unused or stale there.\n")

    w("## `payments-clean/`: after fixing the errors\n")
    w("The same company a sprint later. The label job no longer reads the fraud scores "
      "(declined payments are left unlabelled), which removes the hidden loop, its LT001 and "
      "its LT004. The risk team signed a contract with marketing and lists "
      "`service:marketing-campaigns` among fraud-scorer's `consumers`. The recommender "
      "now trains on `warehouse.events.clickstream_holdout`, the exploration slice in which "
      "offers are random, which `job:clickstream-ingest` writes beside the full clickstream; "
      "the recommender still declares that it influences the full clickstream, but nothing "
      "it influences flows back into it. No error remains, so `lintage scan` exits 0; the "
      "warnings and notes below are the team's backlog. The logs have no malformed lines.\n")
    w(f"Files: {sizes['clean']}.\n")
    w("| finding | severity | subject | related / path | first evidence |")
    w("| --- | --- | --- | --- | --- |")
    for f in FINDINGS_MAIN:
        if finding_key(f) in FIXED_IN_CLEAN:
            continue
        code, sev, subject, related, key, _ = f
        w(f"| {code} | {sev} | `{subject}` | {ids(related)} | {evidence(where_clean, key)} |")
    w("")
    w("Fixed, compared with `payments/`: LT001 ×2, LT002 ×2, LT004 ×1.\n")
    return "\n".join(out)


# --------------------------------------------------------------------------------------


def generate(root: Path, clean: bool, evs: list[Event]) -> tuple[dict, str]:
    if root.exists():
        shutil.rmtree(root)
    for rel, text in manifests(clean).items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    where = write_logs(root, clean, evs)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    n_manifests = sum(1 for p in files if p.suffix == ".yaml")
    n_logs = len(files) - n_manifests
    lines = sum(len(v) for k, v in where.items() if k != "__malformed__")
    lines += len(where["__malformed__"])
    size = sum(p.stat().st_size for p in files)
    n_docs = sum(len(t.split("\n---\n")) for t in manifests(clean).values())
    desc = (f"{n_docs} manifests in {n_manifests} files, {n_logs} log files with {lines} lines, "
            f"{size / 1024:.0f} KiB on disk")
    return where, desc


def main() -> None:
    evs = events(random.Random(SEED))
    where_main, size_main = generate(HERE / "payments", False, evs)
    where_clean, size_clean = generate(HERE / "payments-clean", True, evs)
    text = readme(where_main, where_clean, {"main": size_main, "clean": size_clean})
    (HERE / "README.md").write_text(text)
    print(f"samples/payments:       {size_main}")
    print(f"samples/payments-clean: {size_clean}")
    print("samples/README.md")


if __name__ == "__main__":
    main()
