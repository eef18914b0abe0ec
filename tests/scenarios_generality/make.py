# ruff: noqa: E501  (scenario data: log lines and alert texts are kept whole, as they would appear)
"""Writes the generality scenarios in this folder (data only; run once, commit the output).

Incidents of kinds the shipped nine do not have, written to test the reasoning, not a
rule: a cause two hops from the paged service whose error text no rule knows, an
external provider refusing a credential, and a healthy control. Times are relative.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

HERE = Path(__file__).parent


def rel(ago: int) -> str:
    m, s = divmod(int(ago), 60)
    h, m = divmod(m, 60)
    return "-" + (f"{h}h" if h else "") + f"{m:02d}m{s:02d}s" if (h or m) else f"-{s}s"


def write(name: str, scenario: dict, pods: list, deployments: list, events: list, logs: list, metrics: dict, deploys: list,
          answer: dict, pod_logs: dict[str, list[str]]) -> None:
    d = HERE / name
    (d / "pod_logs").mkdir(parents=True, exist_ok=True)
    for fname, data in (("scenario.yaml", scenario), ("pods.yaml", pods), ("deployments.yaml", deployments), ("events.yaml", events),
                        ("metrics.yaml", metrics), ("deploys.yaml", deploys), ("answer.yaml", answer)):
        (d / fname).write_text(yaml.safe_dump(data, sort_keys=False, width=200))
    logs.sort(key=lambda r: -r[0])
    with open(d / "logs.jsonl", "w") as f:
        for ago, svc, level, host, msg, trace in logs:
            row = {"at": rel(ago), "service": svc, "level": level, "host": host, "message": msg}
            if trace:
                row["trace_id"] = trace
            f.write(json.dumps(row) + "\n")
    for pod, lines in pod_logs.items():
        (d / "pod_logs" / f"{pod}.log").write_text("\n".join(lines) + "\n")


def pod(name, ns, svc, image, cpu="120m", mem="300Mi", limits=("1", "1Gi")):
    return {"name": name, "namespace": ns, "service": svc, "node": "node-1", "created": "-3d", "usage": {"cpu": cpu, "memory": mem},
            "containers": [{"name": svc, "image": image, "ready": True, "restarts": 0, "state": {"running": {"started": "-3d"}},
                            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": limits[0], "memory": limits[1]}}}]}


def dep(name, ns, image, rev, replicas=2):
    return {"name": name, "namespace": ns, "service": name, "replicas": replicas, "ready": replicas, "available": replicas,
            "updated": replicas, "image": image, "created": "-200d", "revision": rev}


def noise(rng, svc, hosts, span, n, msgs):
    return [(rng.randint(10, span), svc, "INFO", rng.choice(hosts), rng.choice(msgs), None) for _ in range(n)]


def two_hop() -> None:
    rng = random.Random(7)
    svcs = [("storefront", "shop"), ("orders-api", "shop"), ("stock-service", "inventory"), ("pricing", "shop")]
    pods_, deps, logs = [], [], []
    for svc, ns in svcs:
        hosts = [f"{svc}-7c9d-{x}" for x in ("a1b2c", "d3e4f")]
        for h in hosts:
            pods_.append(pod(h, ns, svc, f"reg.example/{svc}:v1"))
        deps.append(dep(svc, ns, f"reg.example/{svc}:v1", 10))
        logs += noise(rng, svc, hosts, 5 * 3600, 60, ["GET /healthz 200 2ms", "request served 200", "cache refresh done"])
    # Old noise before the onset: the same before and after, so not new.
    for i in range(30):
        logs.append((rng.randint(60, 5 * 3600), "storefront", "ERROR", "storefront-7c9d-a1b2c", "template render failed: missing partial 'promo-banner'", None))
    for i in range(80):
        ago = rng.randint(30, 31 * 60)
        t = f"{rng.getrandbits(64):016x}"
        logs.append((ago + 2, "stock-service", "ERROR", rng.choice(["stock-service-7c9d-a1b2c", "stock-service-7c9d-d3e4f"]),
                     "org.postgresql.util.PSQLException: ERROR: column \"reserved_qty\" of relation \"stock_levels\" does not exist", t))
        logs.append((ago + 1, "orders-api", "ERROR", rng.choice(["orders-api-7c9d-a1b2c", "orders-api-7c9d-d3e4f"]),
                     "reserve failed: POST http://stock-service.inventory.svc:8080/v1/reserve returned 500", t))
        logs.append((ago, "storefront", "ERROR", rng.choice(["storefront-7c9d-a1b2c", "storefront-7c9d-d3e4f"]),
                     f"POST /checkout 502: orders-api answered 502 after {rng.randint(40, 90)}ms", t))
    write(
        "checkout-two-hops",
        {"title": "Checkout failing", "description": "Customers cannot complete checkout.", "namespaces": ["shop", "inventory"],
         "services": [{"name": s, "namespace": ns, "deployment": s, "team": "shop"} for s, ns in svcs]},
        pods_, deps,
        [{"namespace": "shop", "type": "Normal", "reason": "Pulled", "object": "pod/pricing-7c9d-a1b2c", "message": "Container image already present", "at": "-20m"}],
        logs,
        {"storefront": {"error_rate": 0.11, "p99_ms": 900, "rps": 120, "alerts": [{"name": "CheckoutErrors", "severity": "critical", "summary": "checkout 5xx above 5%", "since": "-29m"}]},
         "orders-api": {"error_rate": 0.09, "p99_ms": 300, "rps": 60, "alerts": []},
         "stock-service": {"error_rate": 0.3, "p99_ms": 40, "rps": 60, "alerts": [{"name": "StockErrors", "severity": "warning", "summary": "5xx above 10%", "since": "-30m"}]},
         "pricing": {"error_rate": 0.001, "p99_ms": 30, "rps": 200, "alerts": []}},
        [{"service": "stock-service", "version": "v5.1.0", "image": "reg.example/stock-service:v5.1.0", "at": "-33m", "author": "a.k",
          "revision": 11, "change": "Rename reserved_qty to held_qty in the stock_levels schema (migration V42 at start-up)", "status": "succeeded"},
         {"service": "pricing", "version": "v2.0.3", "image": "reg.example/pricing:v2.0.3", "at": "-20m", "author": "b.l", "revision": 7,
          "change": "Promotion cache warm-up", "status": "succeeded"},
         {"service": "storefront", "version": "v9.9.0", "image": "reg.example/storefront:v9.9.0", "at": "-2d", "author": "c.m", "revision": 40,
          "change": "New checkout button", "status": "succeeded"}],
        {"category": "schema-migration", "difficulty": "hard", "written": "by the investigator's author, after the rules",
         "start": {"service": "storefront", "symptoms": "checkout failing"},
         "keywords": [["reserved_qty", "does not exist", "PSQLException"], ["stock-service"], ["v5.1.0", "migration", "held_qty"]],
         "forbidden": [["pricing", "v2.0.3"], ["promo-banner", "template"]],
         "evidence_tools": ["check_service_health", "search_logs", "get_recent_deploys"], "optimal_steps": 10},
        {"stock-service-7c9d-a1b2c": ["{T-31m} INFO  Flyway: migrating schema to version 42 - rename reserved qty",
                                      "{T-30m} ERROR org.postgresql.util.PSQLException: ERROR: column \"reserved_qty\" of relation \"stock_levels\" does not exist"]},
    )


def external_credential() -> None:
    rng = random.Random(11)
    svcs = [("notification-service", "notify"), ("email-worker", "notify"), ("sms-worker", "notify")]
    pods_, deps, logs = [], [], []
    for svc, ns in svcs:
        hosts = [f"{svc}-55f6-{x}" for x in ("q1w2e", "r3t4y")]
        for h in hosts:
            pods_.append(pod(h, ns, svc, f"reg.example/{svc}:v3"))
        deps.append(dep(svc, ns, f"reg.example/{svc}:v3", 4))
        logs += noise(rng, svc, hosts, 4 * 3600, 50, ["delivered message", "GET /healthz 200 1ms", "batch flushed"])
    for i in range(25):
        logs.append((rng.randint(60, 4 * 3600), "sms-worker", "WARN", "sms-worker-55f6-q1w2e", "carrier throttled: retry in 2s", None))
    for i in range(70):
        ago = rng.randint(20, 24 * 60)
        logs.append((ago + 1, "email-worker", "ERROR", rng.choice(["email-worker-55f6-q1w2e", "email-worker-55f6-r3t4y"]),
                     "send failed: POST https://api.mailrelay.example.com/v3/mail/send 401 Unauthorized: {\"errors\":[{\"message\":\"The provided authorization grant is invalid, expired, or revoked\"}]}", None))
        logs.append((ago, "notification-service", "ERROR", rng.choice(["notification-service-55f6-q1w2e", "notification-service-55f6-r3t4y"]),
                     "delivery failed for channel email: email-worker reported permanent failure", None))
    write(
        "emails-not-sent",
        {"title": "Password reset emails missing", "description": "Users say reset emails never arrive.", "namespaces": ["notify"],
         "services": [{"name": s, "namespace": ns, "deployment": s, "team": "growth"} for s, ns in svcs]},
        pods_, deps, [], logs,
        {"notification-service": {"error_rate": 0.35, "p99_ms": 200, "rps": 30, "alerts": [{"name": "EmailDeliveryFailing", "severity": "critical", "summary": "email delivery failures", "since": "-23m"}]},
         "email-worker": {"error_rate": 0.97, "p99_ms": 150, "rps": 10, "alerts": []},
         "sms-worker": {"error_rate": 0.0, "p99_ms": 90, "rps": 5, "alerts": []}},
        [{"service": "sms-worker", "version": "v3.2.0", "image": "reg.example/sms-worker:v3.2.0", "at": "-40m", "author": "d.n", "revision": 5,
          "change": "Retry carrier throttling with jitter", "status": "succeeded"}],
        {"category": "credential", "difficulty": "medium", "written": "by the investigator's author, after the rules",
         "start": {"service": "notification-service", "symptoms": "password reset emails missing"},
         "keywords": [["401", "Unauthorized", "revoked", "authorization grant"], ["mailrelay"]],
         "forbidden": [["sms-worker", "v3.2.0"]],
         "evidence_tools": ["check_service_health", "search_logs"], "optimal_steps": 8},
        {},
    )


def healthy() -> None:
    rng = random.Random(3)
    svcs = [("catalog", "shop"), ("reviews", "shop")]
    pods_, deps, logs = [], [], []
    for svc, ns in svcs:
        hosts = [f"{svc}-11aa-{x}" for x in ("m1n2o", "p3q4r")]
        for h in hosts:
            pods_.append(pod(h, ns, svc, f"reg.example/{svc}:v2"))
        deps.append(dep(svc, ns, f"reg.example/{svc}:v2", 3))
        logs += noise(rng, svc, hosts, 4 * 3600, 80, ["GET /items 200 12ms", "GET /healthz 200 1ms"])
    for i in range(6):
        logs.append((rng.randint(60, 4 * 3600), "catalog", "ERROR", "catalog-11aa-m1n2o", "client closed request before response (499)", None))
    write(
        "quiet-afternoon",
        {"title": "Is the catalog slow?", "description": "Someone asked whether the catalog is slow.", "namespaces": ["shop"],
         "services": [{"name": s, "namespace": ns, "deployment": s, "team": "shop"} for s, ns in svcs]},
        pods_, deps, [], logs,
        {"catalog": {"error_rate": 0.002, "p99_ms": 180, "rps": 90, "alerts": []}, "reviews": {"error_rate": 0.0, "p99_ms": 60, "rps": 20, "alerts": []}},
        [{"service": "reviews", "version": "v2.4.1", "image": "reg.example/reviews:v2.4.1", "at": "-5h", "author": "e.o", "revision": 3,
          "change": "Sort reviews by helpfulness", "status": "succeeded"}],
        {"category": "none", "difficulty": "easy", "written": "by the investigator's author, after the rules",
         "start": {"service": "catalog", "symptoms": "is the catalog slow?"},
         "keywords": [["healthy", "no fault", "not established"]],
         "forbidden": [["v2.4.1", "reviews"], ["499"]],
         "evidence_tools": ["check_service_health", "search_logs"], "optimal_steps": 5},
        {},
    )


if __name__ == "__main__":
    two_hop()
    external_credential()
    healthy()
