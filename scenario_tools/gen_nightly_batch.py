"""nightly-batch: worker-07's disk fills from a hostPath the kubelet cannot attribute to a pod.

ledger-api's audit-logger sidecar was switched to debug 14h ago and writes every event,
unrotated, to a hostPath (/host/var/log/ledger-audit) on its node. Only the leader
(ledger-api-7d4k9, on worker-07) writes audit events. 47m ago worker-07 crossed the
nodefs eviction threshold: the kubelet evicts pods by their own ephemeral usage (the
nightly reports worker's 1.3Gi spool first: the red herring), frees almost nothing, and
keeps evicting; replacements cannot fit elsewhere (Pending). 12m ago the disk hit 100%
and the audit sink itself started failing, which now fails ledger postings.
"""

from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("nightly-batch", seed=7)
F = g.folder
F.mkdir(exist_ok=True)
PRESSURE, FULL, BATCH = 47 * 60, 12 * 60, 70 * 60
EVICT = {"reports-worker-h4k9s": 46 * 60, "billing-ui-r4t6y": 44 * 60, "invoice-service-b7m2k": 42 * 60, "invoice-service-d5r7j": 40 * 60}
RW = ["reports-worker-h4k9s", "reports-worker-p2x6d"]
INV = ["invoice-service-b7m2k", "invoice-service-d5r7j", "invoice-service-f3q8z", "invoice-service-c9x4w"]
LED = ["ledger-api-7d4k9", "ledger-api-9s2fx"]
UI = ["billing-ui-r4t6y", "billing-ui-a3s5d", "billing-ui-w7e2a"]
CREATED = {"reports-worker-h4k9s": 6 * 86400, "reports-worker-p2x6d": 6 * 86400, "invoice-service-b7m2k": 3 * 86400,
           "invoice-service-d5r7j": 3 * 86400, "invoice-service-f3q8z": 3 * 86400, "invoice-service-c9x4w": 42 * 60 - 8,
           "ledger-api-7d4k9": 14 * 3600, "ledger-api-9s2fx": 14 * 3600 - 40, "billing-ui-r4t6y": 10 * 86400,
           "billing-ui-a3s5d": 10 * 86400, "billing-ui-w7e2a": 44 * 60 - 6}
for h, c in CREATED.items():
    g.pod(h, [c], fmt="json" if h.startswith("invoice") else "raw" if h.startswith("billing-ui") else "plain")


def up(h, t):
    return t <= CREATED[h] and (h not in EVICT or t > EVICT[h])


# --- ledger-api: leader on worker-07 writes the audit trail ----------------------------------
for h in LED:
    t = CREATED[h]
    g.log(t, "ledger-api", "INFO", h, "ledger-api v6.4.1 starting (postings, balances)", comp="main")
    g.log(t - 1, "ledger-api", "INFO", h, "audit-logger v1.3.0: level=debug dir=/host/var/log/ledger-audit rotate=none max_size=unlimited (hostPath)", comp="audit-logger")
    g.log(t - 4, "ledger-api", "INFO", h, "leader election: acquired lease ledger-api-leader" if h == LED[0] else "leader election: standing by (leader ledger-api-7d4k9)", comp="election")
for t in g.poisson(7200, 0, 1.1):
    h = LED[0] if g.rng.random() < 0.8 else LED[1]
    if t < FULL and h == LED[0] and g.rng.random() < 0.5:
        g.log(t, "ledger-api", "ERROR", h, "POST /postings 500: audit sink unavailable (in-memory buffer full, 50000/50000 events)", duration_ms=g.rng.randint(3, 9), comp="http")
    else:
        g.log(t, "ledger-api", "INFO", h, f"POST /postings 201 posting=pst_{g.hexid(10)}" if h == LED[0] else f"GET /balances/acc_{g.hexid(8)} 200",
              duration_ms=g.rng.randint(6, 40), comp="http")
used = 61.0
for t in range(7200 - 30, 0, -300):
    used = min(100.0, used + 1.55 + g.rng.uniform(-0.1, 0.1))
    if t > FULL:
        ev = g.rng.randint(46000, 52000)
        g.log(t, "ledger-api", "INFO", LED[0], f"audit: flushed {ev:,} events ({ev * 1.47 / 1000:.1f} MB) to /host/var/log/ledger-audit/audit-current.log (level=debug)", comp="audit-logger")
    if PRESSURE + 900 > t > FULL:
        g.log(t - 2, "ledger-api", "WARN", LED[0], f"audit: slow write to /host/var/log/ledger-audit ({g.rng.uniform(1.2, 3.5):.1f}s)", comp="audit-logger")
for t in g.poisson(FULL, 0, 1.5):
    g.log(t, "ledger-api", "ERROR", LED[0], f"audit: write /host/var/log/ledger-audit/audit-current.log: no space left on device; {g.rng.randint(1200, 50000):,} events buffered in memory",
          comp="audit-logger")
for t in range(7200 - 200, 0, -900):
    g.log(t, "ledger-api", "INFO", LED[1], "audit: flushed 212 events (0.3 MB) to /host/var/log/ledger-audit/audit-current.log (level=debug)", comp="audit-logger")

# --- reports-worker: the nightly statements run ------------------------------------------------
for h in RW:
    for t in range(7200 - 40 * RW.index(h), BATCH, -240):
        g.log(t, "reports-worker", "DEBUG", h, "job queue empty; sleeping 30s", comp="poller")
g.log(BATCH + 5, "reports-worker", "INFO", RW[0], "cronjob nightly-reports-trigger enqueued statement run #1472: 184,220 accounts in 37 shards", comp="scheduler")
spool = 0
for i, t in enumerate(range(BATCH, EVICT[RW[0]], -95)):
    spool += g.rng.randint(76, 92)
    g.log(t, "reports-worker", "INFO", RW[0], f"run #1472 shard {2 * i + 1}/37 done ({g.rng.randint(4800, 5200):,} accounts) in {g.rng.randint(85, 100)}s; spool /tmp/statements {spool}MB", comp="statements")
    g.log(t - 40, "reports-worker", "INFO", RW[1], f"run #1472 shard {2 * i + 2}/37 done ({g.rng.randint(4800, 5200):,} accounts) in {g.rng.randint(85, 100)}s; spool /tmp/statements {spool - 80}MB", comp="statements")
g.log(EVICT[RW[0]] + 1, "reports-worker", "WARN", RW[0], "received SIGTERM; checkpointing shard 31/37 and exiting", comp="main")
g.log(EVICT[RW[0]] - 62, "reports-worker", "WARN", RW[1], "lease for shards 31,33,35,37 of reports-worker-h4k9s expired; taking over", comp="statements")
done = 30
for t in range(EVICT[RW[0]] - 200, 0, -330):
    done += 1 if done < 36 else 0
    g.log(t, "reports-worker", "INFO", RW[1], f"run #1472 progress: {done}/37 shards complete (1 worker, last shard {g.rng.randint(170, 260)}s)", comp="statements")
for t in range(30 * 60, 0, -600):
    g.log(t, "reports-worker", "WARN", RW[1], f"run #1472 behind schedule: {done}/37 shards with 1 of 2 workers; ETA past the 06:00 SLA", comp="statements")

# --- invoice-service, billing-ui ------------------------------------------------------------------
for t in g.poisson(7200, 0, 0.9):
    hosts = [h for h in INV if up(h, t)]
    h = g.pick(hosts)
    if t < FULL and g.rng.random() < 0.25:
        g.log(t, "invoice-service", "ERROR", h, f"POST /invoices/inv_{g.hexid(8)}/finalize failed: ledger-api returned 500 (audit sink unavailable)", duration_ms=g.rng.randint(10, 40), comp="finalize")
    elif g.rng.random() < 0.5:
        g.log(t, "invoice-service", "INFO", h, f"GET /invoices/inv_{g.hexid(8)} 200", duration_ms=g.rng.randint(8, 30), comp="http")
    else:
        g.log(t, "invoice-service", "INFO", h, f"invoice inv_{g.hexid(8)} finalized; ledger posting ok", duration_ms=g.rng.randint(30, 90), comp="finalize")
for h, t in EVICT.items():
    if h.startswith("invoice"):
        g.log(t + 1, "invoice-service", "WARN", h, "SIGTERM received; draining 4 in-flight requests", comp="main")
for h in ("invoice-service-c9x4w",):
    g.log(CREATED[h], "invoice-service", "INFO", h, "invoice-service v3.2.0 listening on :8080", comp="main")
for t in g.poisson(7200, 0, 0.5):
    h = g.pick([x for x in UI if up(x, t)])
    code = 502 if (t < FULL and g.rng.random() < 0.15) else 200
    path = g.pick(["/invoices", "/statements", "/accounts/overview", "/static/app.js"])
    g.log(t, "billing-ui", "ERROR" if code >= 500 else "INFO", h,
          f'10.70.{g.rng.randint(0, 3)}.{g.rng.randint(2, 250)} - - [{{T}}] "GET {path} HTTP/1.1" {code} {g.rng.randint(800, 40000)} "-" "Mozilla/5.0"',
          duration_ms=g.rng.randint(3, 120))
g.write()
# billing-ui lines are nginx access lines: keep the {T} placeholder out of the table
import json
lines = [json.loads(x) for x in (F / "logs.jsonl").read_text().splitlines()]
for r in lines:
    if r["service"] == "billing-ui":
        r["message"] = r["message"].replace(" - - [{T}] ", " - - ")
(F / "logs.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines))
(F / "slow_queries.jsonl").write_text(
    json.dumps({"at": rel(BATCH - 300), "service": "reports-worker", "database": "billing-db", "duration_ms": 4120, "rows_examined": 1840220,
                "query": "SELECT account_id, sum(amount_cents) FROM postings WHERE posted_at >= ? AND posted_at < ? GROUP BY account_id"}) + "\n"
    + json.dumps({"at": rel(BATCH - 2400), "service": "reports-worker", "database": "billing-db", "duration_ms": 3980, "rows_examined": 1790411,
                  "query": "SELECT account_id, sum(amount_cents) FROM postings WHERE posted_at >= ? AND posted_at < ? GROUP BY account_id"}) + "\n")

# --- kubernetes objects -----------------------------------------------------------------------
EVICT_MSG = ("The node was low on resource: ephemeral-storage. Threshold quantity: 10737418240, available: {avail}Ki. "
             "Container {c} was using {use}Ki, request is 0, has larger consumption of ephemeral-storage. ")
USE = {"reports-worker-h4k9s": ("reports-worker", 1374208, 9118420), "billing-ui-r4t6y": ("billing-ui", 96, 8402116),
       "invoice-service-b7m2k": ("invoice-service", 288, 7781032), "invoice-service-d5r7j": ("invoice-service", 276, 7012448)}
IMG = {"reports-worker": "registry.corp.example/billing/reports-worker:v4.2.0", "invoice-service": "registry.corp.example/billing/invoice-service:v3.2.0",
       "ledger-api": "registry.corp.example/billing/ledger-api:v6.4.1", "billing-ui": "registry.corp.example/billing/billing-ui:v2.9.3"}
NODE = {"reports-worker-h4k9s": "worker-07", "reports-worker-p2x6d": "worker-05", "invoice-service-b7m2k": "worker-07", "invoice-service-d5r7j": "worker-07",
        "invoice-service-f3q8z": "worker-06", "invoice-service-c9x4w": "worker-08", "ledger-api-7d4k9": "worker-07", "ledger-api-9s2fx": "worker-08",
        "billing-ui-r4t6y": "worker-07", "billing-ui-a3s5d": "worker-06", "billing-ui-w7e2a": "worker-05"}
SPEC = {
    "reports-worker": dict(requests={"cpu": "2", "memory": "6Gi"}, limits={"cpu": "4", "memory": "8Gi"}, env={"SPOOL_DIR": "/tmp/statements", "WORKERS": "2"}),
    "invoice-service": dict(requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1Gi"}, ports=[8080],
                            readiness={"http": "/ready", "port": 8080, "period": 5}, liveness={"http": "/live", "port": 8080, "delay": 10, "period": 10}),
    "ledger-api": dict(requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "2", "memory": "2Gi"}, ports=[8443],
                       readiness={"http": "/ready", "port": 8443, "period": 5}, env={"PRIORITY_CLASS": "billing-critical"}),
    "billing-ui": dict(requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "200m", "memory": "128Mi"}, ports=[80],
                       readiness={"http": "/healthz", "port": 80, "period": 10}),
}
pods = []
for i, (h, created) in enumerate(CREATED.items()):
    svc = h.rsplit("-", 1)[0]
    cname = svc
    extra = {}
    if h in EVICT:
        c, use, avail = USE[h]
        cont = [container(cname, IMG[svc], ready=False, state={"waiting": {}}, **SPEC[svc])]
        extra = {"phase": "Failed", "reason": "Evicted", "message": EVICT_MSG.format(avail=avail, c=c, use=use)}
    else:
        cont = [container(cname, IMG[svc], started=rel(created), **SPEC[svc])]
    if svc == "ledger-api":
        cont.append(container("audit-logger", "registry.corp.example/platform/audit-logger:v1.3.0", started=rel(created),
                              requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "256Mi"},
                              env={"AUDIT_LOG_LEVEL": "debug", "AUDIT_LOG_DIR": "/host/var/log/ledger-audit", "AUDIT_ROTATE": "none",
                                   "AUDIT_SOURCE": "ledger-api"}))
    usage = None if h in EVICT else {"cpu": {"reports-worker": "1850m", "invoice-service": "140m", "ledger-api": "310m", "billing-ui": "4m"}[svc],
                                           "memory": {"reports-worker": "5.2Gi", "invoice-service": "610Mi", "ledger-api": "780Mi", "billing-ui": "22Mi"}[svc]}
    pods.append(pod(h, "billing", svc, NODE[h], rel(created), f"10.70.{i % 4}.{30 + i}", cont, usage=usage, **extra))
for h, svc, first in (("reports-worker-t8n3q", "reports-worker", EVICT["reports-worker-h4k9s"] - 2), ("invoice-service-m2w8p", "invoice-service", EVICT["invoice-service-d5r7j"] - 2)):
    p = pod(h, "billing", svc, "", rel(first), "", [container(svc, IMG[svc], ready=False, state={"waiting": {}}, **SPEC[svc])],
            phase="Pending", conditions={"Ready": False, "PodScheduled": False})
    del p["node"]  # unscheduled: no node; ip "" (no pod IP yet)
    pods.append(p)
for i, n in enumerate(["worker-05", "worker-06", "worker-07", "worker-08"]):
    pods.append(pod(f"node-exporter-{['q2w7r', 'x5k8m', 'b9d3f', 'h6t1v'][i]}", "monitoring", "node-exporter", n, "-60d", f"10.0.1.{15 + i}",
                    [container("node-exporter", "quay.io/prometheus/node-exporter:v1.8.1", started="-60d", ports=[9100])], usage={"cpu": "8m", "memory": "19Mi"}))
pods.append(pod("prometheus-server-2r8vn", "monitoring", "prometheus-server", "worker-06", "-30d", "10.70.1.90",
                [container("prometheus", "quay.io/prometheus/prometheus:v2.53.1", started="-30d", ports=[9090])], usage={"cpu": "350m", "memory": "3.1Gi"}))
write_yaml(F, "pods.yaml", pods, "# billing: four pods on worker-07 were evicted 40-46m ago; two replacements cannot be scheduled")

deps = [
    {"name": "reports-worker", "namespace": "billing", "service": "reports-worker", "replicas": 2, "ready": 1, "available": 1, "updated": 2,
     "image": IMG["reports-worker"], "created": "-400d", "revision": 23},
    {"name": "invoice-service", "namespace": "billing", "service": "invoice-service", "replicas": 3, "ready": 2, "available": 2, "updated": 3,
     "image": IMG["invoice-service"], "created": "-400d", "revision": 71},
    {"name": "ledger-api", "namespace": "billing", "service": "ledger-api", "replicas": 2, "ready": 2, "image": IMG["ledger-api"], "created": "-700d", "revision": 95},
    {"name": "billing-ui", "namespace": "billing", "service": "billing-ui", "replicas": 2, "ready": 2, "image": IMG["billing-ui"], "created": "-500d", "revision": 30},
    {"name": "prometheus-server", "namespace": "monitoring", "service": "prometheus-server", "container": "prometheus", "replicas": 1, "ready": 1,
     "image": "quay.io/prometheus/prometheus:v2.53.1", "created": "-300d", "revision": 7},
]
write_yaml(F, "deployments.yaml", deps)

events = [
    {"namespace": "default", "type": "Normal", "reason": "NodeHasDiskPressure", "object": "node/worker-07", "message": "Node worker-07 status is now: NodeHasDiskPressure", "at": rel(PRESSURE)},
    {"namespace": "default", "type": "Warning", "reason": "EvictionThresholdMet", "object": "node/worker-07", "message": "Attempting to reclaim ephemeral-storage",
     "at": "-3m", "first": rel(PRESSURE - 20), "count": 14},
    {"namespace": "default", "type": "Warning", "reason": "FreeDiskSpaceFailed", "object": "node/worker-07",
     "message": "Failed to garbage collect required amount of images. Attempted to free 14838219571 bytes, but only found 1276321792 bytes eligible to free.",
     "at": "-4m", "first": rel(PRESSURE - 10), "count": 9},
    {"namespace": "default", "type": "Warning", "reason": "ImageGCFailed", "object": "node/worker-07",
     "message": "failed to garbage collect required amount of images. Wanted to free 14838219571 bytes, but freed 0 bytes", "at": "-4m", "first": rel(PRESSURE - 310), "count": 8},
    {"namespace": "default", "type": "Normal", "reason": "NodeSchedulable", "object": "node/worker-08", "message": "Node worker-08 status is now: NodeSchedulable", "at": "-9h"},
]
for h, t in EVICT.items():
    c, use, avail = USE[h]
    events += [
        {"namespace": "billing", "type": "Warning", "reason": "Evicted", "object": f"pod/{h}", "message": EVICT_MSG.format(avail=avail, c=c, use=use).strip(), "at": rel(t)},
        {"namespace": "billing", "type": "Normal", "reason": "Killing", "object": f"pod/{h}", "message": f"Stopping container {c}", "at": rel(t)},
    ]
events += [
    {"namespace": "billing", "type": "Normal", "reason": "SuccessfulCreate", "object": "replicaset/reports-worker-6c9d7f8b5", "source": "replicaset-controller",
     "message": "Created pod: reports-worker-t8n3q", "at": rel(EVICT["reports-worker-h4k9s"] - 2)},
    {"namespace": "billing", "type": "Warning", "reason": "FailedScheduling", "object": "pod/reports-worker-t8n3q", "source": "default-scheduler",
     "message": "0/4 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }, 3 Insufficient memory. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
     "at": "-1m", "first": rel(EVICT["reports-worker-h4k9s"] - 2), "count": 31},
    {"namespace": "billing", "type": "Normal", "reason": "SuccessfulCreate", "object": "replicaset/invoice-service-7f5b9d6c48", "source": "replicaset-controller",
     "message": "Created pod: invoice-service-m2w8p", "at": rel(EVICT["invoice-service-d5r7j"] - 2)},
    {"namespace": "billing", "type": "Warning", "reason": "FailedScheduling", "object": "pod/invoice-service-m2w8p", "source": "default-scheduler",
     "message": "0/4 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }, 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
     "at": "-2m", "first": rel(EVICT["invoice-service-d5r7j"] - 2), "count": 24},
    {"namespace": "billing", "type": "Normal", "reason": "Scheduled", "object": "pod/invoice-service-c9x4w", "source": "default-scheduler",
     "message": "Successfully assigned billing/invoice-service-c9x4w to worker-08", "at": rel(CREATED["invoice-service-c9x4w"])},
    {"namespace": "billing", "type": "Normal", "reason": "Scheduled", "object": "pod/billing-ui-w7e2a", "source": "default-scheduler",
     "message": "Successfully assigned billing/billing-ui-w7e2a to worker-05", "at": rel(CREATED["billing-ui-w7e2a"])},
    {"namespace": "billing", "type": "Normal", "reason": "SuccessfulCreate", "object": "job/nightly-reports-trigger-29417400", "source": "job-controller",
     "message": "Created pod: nightly-reports-trigger-29417400-5kq2d", "at": rel(BATCH + 10)},
    {"namespace": "billing", "type": "Normal", "reason": "Completed", "object": "job/nightly-reports-trigger-29417400", "source": "job-controller",
     "message": "Job completed", "at": rel(BATCH)},
]
write_yaml(F, "events.yaml", events)
