"""payments-incident: payment-gateway v2.3.1's BatchReconciliation loads 2.1M rows → OOM.

Writes logs.jsonl and pod_logs/. Crash times must match pods.yaml (last_state) and
events.yaml; they come from crash_loop() below.
"""

from scenario_tools.scengen import Gen, crash_loop

g = Gen("payments-incident", seed=14)
GW = ["payment-gw-abc12", "payment-gw-def34", "payment-gw-ghi56", "payment-gw-jkl78", "payment-gw-mno90"]
HEALTHY_GW = ["payment-gw-abc12", "payment-gw-jkl78", "payment-gw-mno90"]
FRAUD = ["fraud-detection-x7k2p", "fraud-detection-m4q8n", "fraud-detection-r9t3w"]
AUTH = ["auth-service-xyz99", "auth-service-k2m7p", "auth-service-q8w4n", "auth-service-t5r1z"]
NOTIF = ["notification-service-h7j2k", "notification-service-p3x9m", "notification-service-w6c4d"]
GW_CREATED = {"payment-gw-abc12": 10800, "payment-gw-def34": 10780, "payment-gw-ghi56": 10760, "payment-gw-jkl78": 10740, "payment-gw-mno90": 10720}

# --- crash loops (ago, seconds) -------------------------------------------------------
DEF34_FIRST, GHI56_FIRST, RUN = 1485, 1260, 75
def34_runs = crash_loop(DEF34_FIRST, 7, RUN)   # last: start 125 (-2m05s), crash 50 (-50s)
ghi56_runs = crash_loop(GHI56_FIRST, 6, RUN)   # last: start 275 (-4m35s), crash 200 (-3m20s)
g.pod("payment-gw-def34", [GW_CREATED["payment-gw-def34"], *[s for s, _ in def34_runs]])
g.pod("payment-gw-ghi56", [GW_CREATED["payment-gw-ghi56"], *[s for s, _ in ghi56_runs]])
for h in HEALTHY_GW:
    g.pod(h, [GW_CREATED[h]])
for h in FRAUD:
    g.pod(h, [6 * 86400 - 3000], fmt="logfmt")
for h in AUTH:
    g.pod(h, [2 * 86400 - 600 - 60 * AUTH.index(h)])
for h in NOTIF:
    g.pod(h, [9 * 86400 - 1200], fmt="json")
g.pod("redis-primary-0", [14 * 86400], fmt="redis")
g.pod("redis-replica-0", [14 * 86400 - 300], fmt="redis")

down: dict[str, list[tuple[float, float]]] = {"payment-gw-def34": [], "payment-gw-ghi56": []}  # (crash, next start)


def gw_up(host: str, t: float) -> bool:
    return not any(c >= t > s for c, s in down.get(host, []))


def startup(host: str, t: float, catch_up: bool) -> None:
    L = lambda dt, lvl, comp, msg, **kw: g.log(t - dt, "payment-gateway", lvl, host, msg, comp=comp, **kw)
    L(0, "INFO", "Main", "Starting payment-gateway v2.3.1 (JVM 17.0.9, -Xms256m -Xmx480m, G1GC)")
    L(1, "INFO", "Config", "Loading application config from ConfigMap payment-gateway-config", table=False)
    L(2, "INFO", "DB", "Connected to pg-primary:5432 (HikariCP pool max=20)", table=False)
    L(3, "INFO", "Redis", "Connected to redis-primary:6379", table=False)
    L(4, "INFO", "CardNetwork", "card-network-gateway client ready (pool max=50, timeout=30s, breaker threshold=10 failures/60s)", table=False)
    if catch_up:
        L(5, "WARN", "BatchReconciliation", "Previous reconciliation run did not complete (status=RUNNING, lease expired); starting catch-up run")
    L(6, "INFO", "HealthCheck", "Readiness passed — accepting traffic")


def reconciliation_run(host: str, start: float, crash: float, trace: str | None = None) -> None:
    L = lambda at, lvl, comp, msg, **kw: g.log(at, "payment-gateway", lvl, host, msg, comp=comp, **kw)
    t0 = start - 7
    L(t0, "INFO", "BatchReconciliation", "Acquired reconciliation lease (owner=" + host + ", ttl=60s)", table=False)
    L(t0 - 1, "WARN", "BatchReconciliation", "Loading 2.1M transactions into memory for reconciliation")
    L(t0 - 14, "INFO", "BatchReconciliation", "Fetched 2,104,331 rows from transactions in 12.4s; building settlement index")
    L(t0 - 38, "WARN", "GC", "Full GC triggered — heap usage at 92%")
    L(crash + 12, "WARN", "GC", "GC Full pause 2.3s — heap at 97%")
    L(crash + 4, "WARN", "GC", "GC Full pause 3.1s — heap at 99%, 0.4% reclaimed", table=False)
    L(crash, "ERROR", "BatchReconciliation", "java.lang.OutOfMemoryError: Java heap space", trace=trace, cont=[
        "java.lang.OutOfMemoryError: Java heap space",
        "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3512)",
        "\tat java.base/java.util.ArrayList.grow(ArrayList.java:265)",
        "\tat java.base/java.util.ArrayList.add(ArrayList.java:484)",
        "\tat com.visa.payment.BatchReconciliation.loadAllTransactions(BatchReconciliation.java:142)",
        "\tat com.visa.payment.BatchReconciliation.run(BatchReconciliation.java:87)",
        "\tat com.visa.payment.scheduler.ReconciliationScheduler.lambda$schedule$0(ReconciliationScheduler.java:54)",
        "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)",
        "\tat java.base/java.lang.Thread.run(Thread.java:840)",
    ])
    L(crash, "ERROR", "BatchReconciliation", "BatchReconciliation.loadAllTransactions failed", trace=trace)
    L(crash, "ERROR", "Main", "Uncaught exception in thread reconciliation-1 — shutting down")


# def34: the cron trigger, then catch-up runs at every restart
g.log(1560, "payment-gateway", "INFO", "payment-gw-def34", "Daily reconciliation triggered (cron 0 */24 * * *, v2.3.1 BatchReconciliation)", comp="Scheduler")
reconciliation_run("payment-gw-def34", 1560 + 7, DEF34_FIRST)
for h in HEALTHY_GW + ["payment-gw-ghi56"]:
    g.log(1560 - 1, "payment-gateway", "INFO", h, "Reconciliation lease held by payment-gw-def34; skipping this run", comp="Scheduler", table=False)
prev_crash = DEF34_FIRST
for i, (s, c) in enumerate(def34_runs):
    down["payment-gw-def34"].append((prev_crash, s))
    startup("payment-gw-def34", s, catch_up=True)
    reconciliation_run("payment-gw-def34", s, c, trace="tx-abc123" if c == 425 else None)
    prev_crash = c
down["payment-gw-def34"].append((prev_crash, -999))
# ghi56 takes over the expired lease, then crash-loops the same way
g.log(GHI56_FIRST + RUN + 8, "payment-gateway", "WARN", "payment-gw-ghi56", "Reconciliation lease of payment-gw-def34 expired; taking over run", comp="Scheduler")
reconciliation_run("payment-gw-ghi56", GHI56_FIRST + RUN + 7, GHI56_FIRST)
prev_crash = GHI56_FIRST
for s, c in ghi56_runs:
    down["payment-gw-ghi56"].append((prev_crash, s))
    startup("payment-gw-ghi56", s, catch_up=True)
    reconciliation_run("payment-gw-ghi56", s, c)
    prev_crash = c
down["payment-gw-ghi56"].append((prev_crash, -999))

# --- start-up of every gateway pod at the v2.3.1 rollout -----------------------------
for h, t in GW_CREATED.items():
    startup(h, t, catch_up=False)
    g.log(t - 2, "payment-gateway", "INFO", h, "BatchReconciliation registered (cron 0 */24 * * *, mode=in-memory, batch=ALL)", comp="Scheduler", table=False)

# --- healthy traffic and its hops ----------------------------------------------------
INCIDENT = 1440  # from here the three healthy pods carry 5 pods' load
for t in g.poisson(7200, 0, 1.5):
    hosts = [h for h in GW if gw_up(h, t)]
    host = g.pick(hosts)
    tx = g.tx()
    overloaded = t < INCIDENT
    ms = g.rng.randint(110, 240) if not overloaded else g.rng.randint(380, 2400)
    if g.rng.random() < 0.5:
        g.log(t + 0.4, "fraud-detection", "INFO", g.pick(FRAUD), f"Scored transaction {tx}: risk={g.rng.uniform(0.01, 0.3):.2f} decision=approve", trace=tx,
              duration_ms=g.rng.randint(18, 60), comp="scorer")
    if g.rng.random() < 0.25:
        g.log(t + 0.6, "auth-service", "INFO", g.pick(AUTH), "Token validated for client payment-gateway in 4ms", trace=tx, duration_ms=4, comp="TokenValidator")
    g.log(t, "payment-gateway", "INFO", host, f"Transaction {tx} completed successfully in {ms}ms", trace=tx, duration_ms=ms, comp="Payments")
    if g.rng.random() < 0.2:
        g.log(t - 1, "notification-service", "INFO", g.pick(NOTIF), f"Receipt email queued for {tx}", trace=tx, comp="receipts")
for h in GW:
    for t in range(7200 - 37, 0, -600):
        if gw_up(h, t) and t < GW_CREATED[h]:
            g.log(t, "payment-gateway", "INFO", h, "All checks passed (db=ok redis=ok card-network=ok)", comp="HealthCheck", table=(h == "payment-gw-abc12"))
for t in g.poisson(7200, 0, 0.12):
    g.log(t, "payment-gateway", "DEBUG", g.pick([h for h in GW if gw_up(h, t)]), f"card-network-gateway latency p50={g.rng.randint(80, 120)}ms p99={g.rng.randint(260, 420)}ms (last 60s)", comp="CardNetwork")
for t in g.poisson(7200, INCIDENT, 0.04):
    g.log(t, "payment-gateway", "WARN", g.pick(HEALTHY_GW), "Retrying card-network-gateway call (attempt 2/3) after HTTP 502", comp="CardNetwork")

# fraud-detection background
for t in g.poisson(7200, 0, 0.15):
    ratio = g.rng.uniform(97.1, 99.2) if t > 1320 else g.rng.uniform(83.0, 91.0)
    g.log(t, "fraud-detection", "INFO", g.pick(FRAUD), f"Velocity cache hit ratio {ratio:.1f}% over last 60s", comp="cache")
for t in range(7200 - 200, 0, -1800):
    g.log(t, "fraud-detection", "INFO", g.pick(FRAUD), "Model velocity-v7 warm; 3 workers, queue depth 0", comp="model")
g.log(3900, "fraud-detection", "INFO", "fraud-detection-m4q8n", "Nightly fraud_scores recalculation finished: 180,112 rows in 5.2s", comp="batch")

# auth-service background
for t in g.poisson(7200, 0, 0.3):
    client = g.pick(["web-checkout", "mobile-api", "merchant-portal", "payment-gateway", "partner-api"])
    if g.rng.random() < 0.5:
        g.log(t, "auth-service", "INFO", g.pick(AUTH), f"Issued access token for client {client} (ttl=3600s)", duration_ms=g.rng.randint(6, 20), comp="TokenService")
    else:
        g.log(t, "auth-service", "INFO", g.pick(AUTH), f"Token validated for client {client} in {g.rng.randint(2, 9)}ms", comp="TokenValidator")
for t in range(7200 - 90, 0, -900):
    g.log(t, "auth-service", "INFO", g.pick(AUTH), f"Health check passed, latency {g.rng.randint(9, 15)}ms", comp="HealthCheck")
for t in (6400, 2800, 1300):
    g.log(t, "auth-service", "WARN", "auth-service-xyz99", "JWT token expires in 4 hours for service account batch-sa", comp="TokenService")
g.log(5100, "auth-service", "WARN", "auth-service-q8w4n", "Rate limit near threshold for client partner-api (912/1000 per minute)", comp="RateLimiter")

# notification-service background
for t in g.poisson(7200, 0, 0.2):
    if g.rng.random() < 0.6:
        g.log(t, "notification-service", "INFO", g.pick(NOTIF), f"Push batch delivered: {g.rng.randint(8, 60)} messages in {g.rng.randint(120, 600)}ms", comp="push")
    else:
        g.log(t, "notification-service", "INFO", g.pick(NOTIF), f"SMTP relay ok: {g.rng.randint(3, 40)} emails sent", comp="email")
g.log(4700, "notification-service", "WARN", "notification-service-p3x9m", "APNs returned 410 Unregistered for 3 device tokens; pruning", comp="push")

# --- incident symptoms on the healthy pods -------------------------------------------
# two of five pods out → the remaining three saturate their card-network connection pools
for t in g.poisson(INCIDENT - 60, 0, 1.1):
    host = g.pick(HEALTHY_GW)
    tx = g.tx()
    g.log(t, "payment-gateway", "ERROR", host, f"Transaction {tx} failed: upstream timeout (30s)", trace=tx, duration_ms=30000, comp="Payments")
for t in g.poisson(INCIDENT - 30, 0, 0.5):
    g.log(t, "payment-gateway", "WARN", g.pick(HEALTHY_GW), f"card-network-gateway connection pool saturated (active=50/50, waiting={g.rng.randint(12, 48)})", comp="CardNetwork")
for t, host, msg, lvl in (
    (430, "payment-gw-abc12", "Circuit breaker OPEN for card-network-gateway (12/10 failures)", "ERROR"),
    (370, "payment-gw-abc12", "Circuit breaker HALF_OPEN for card-network-gateway: trial requests allowed", "WARN"),
    (362, "payment-gw-abc12", "Circuit breaker CLOSED for card-network-gateway", "INFO"),
    (150, "payment-gw-jkl78", "Circuit breaker OPEN for card-network-gateway (11/10 failures)", "ERROR"),
    (90, "payment-gw-jkl78", "Circuit breaker HALF_OPEN for card-network-gateway: trial requests allowed", "WARN"),
):
    g.log(t, "payment-gateway", lvl, host, msg, comp="CircuitBreaker")
for t in list(g.poisson(430, 371, 8)) + list(g.poisson(150, 91, 8)):
    g.log(t, "payment-gateway", "ERROR", "payment-gw-abc12" if t > 300 else "payment-gw-jkl78", f"Request rejected: circuit breaker OPEN for card-network-gateway ({g.tx()})", comp="Payments")

# fraud-detection: velocity counters are written by payment-gateway after authorisation;
# transactions lost with a crashing pod leave gaps → cache misses (a symptom)
for t in g.poisson(1380, 0, 0.45):
    tx = g.tx()
    g.log(t, "fraud-detection", "ERROR", g.pick(FRAUD), f"Unable to fetch velocity data from Redis — cache miss (key=velocity:card:{g.hexid(10)})", trace=tx, comp="features")
    g.log(t - 0.5, "fraud-detection", "WARN", g.pick(FRAUD), f"Model inference latency {g.rng.randint(610, 980)}ms (threshold 500ms): recomputed velocity features from DB", trace=tx, comp="model")
for t in (1200, 600):
    g.log(t, "fraud-detection", "WARN", "fraud-detection-x7k2p", f"velocity counters missing for {g.rng.randint(30, 60)} cards in last 60s (writer: payment-gateway)", comp="features")

# --- named traces -----------------------------------------------------------------------
# tx-abc123: in flight on payment-gw-def34 when it ran out of heap (-7m05s)
g.log(428, "payment-gateway", "INFO", "payment-gw-def34", "Transaction tx-abc123 received: POST /v1/payments/authorize (merchant=m-4471)", trace="tx-abc123", comp="Payments")
g.log(427, "auth-service", "INFO", "auth-service-k2m7p", "Token validated for client payment-gateway in 5ms", trace="tx-abc123", duration_ms=5, comp="TokenValidator")
g.log(426, "fraud-detection", "WARN", "fraud-detection-x7k2p", "Model inference latency 890ms (threshold 500ms)", trace="tx-abc123", duration_ms=890, comp="model")
g.log(425, "fraud-detection", "ERROR", "fraud-detection-x7k2p", "Unable to fetch velocity data from Redis — cache miss (key=velocity:card:4f9a2c71e0)", trace="tx-abc123", comp="features")
# (the OOM lines for tx-abc123 come from reconciliation_run at 425)
# tx-def456: healthy pod, card-network pool exhausted → 30 s timeout
g.log(345, "payment-gateway", "INFO", "payment-gw-abc12", "Transaction tx-def456 received: POST /v1/payments/authorize (merchant=m-2209)", trace="tx-def456", comp="Payments")
g.log(344, "auth-service", "INFO", "auth-service-t5r1z", "Token validated for client payment-gateway in 3ms", trace="tx-def456", duration_ms=3, comp="TokenValidator")
g.log(344, "fraud-detection", "INFO", "fraud-detection-r9t3w", "Scored transaction tx-def456: risk=0.04 decision=approve", trace="tx-def456", duration_ms=41, comp="scorer")
g.log(343, "payment-gateway", "WARN", "payment-gw-abc12", "Waiting for card-network-gateway connection (active=50/50, waiting=41)", trace="tx-def456", comp="CardNetwork")
g.log(314, "payment-gateway", "ERROR", "payment-gw-abc12", "Transaction tx-def456 failed: upstream timeout (30s)", trace="tx-def456", duration_ms=30000, comp="Payments")
# good ones
for tx, host, ms, at in (("tx-good01", "payment-gw-abc12", 145, 1690), ("tx-good02", "payment-gw-mno90", 167, 1630)):
    g.log(at + 1, "auth-service", "INFO", "auth-service-xyz99", "Token validated for client payment-gateway in 4ms", trace=tx, duration_ms=4, comp="TokenValidator")
    g.log(at + 1, "fraud-detection", "INFO", "fraud-detection-m4q8n", f"Scored transaction {tx}: risk=0.03 decision=approve", trace=tx, duration_ms=29, comp="scorer")
    g.log(at, "payment-gateway", "INFO", host, f"Transaction {tx} completed successfully in {ms}ms", trace=tx, duration_ms=ms, comp="Payments")
    g.log(at - 1, "notification-service", "INFO", "notification-service-h7j2k", f"Receipt email queued for {tx}", trace=tx, comp="receipts")

# --- redis (pod logs only) ----------------------------------------------------------------
for t in range(7200 - 120, 0, -300):
    g.log(t, "redis", "INFO", "redis-primary-0", "100 changes in 300 seconds. Saving...", table=False)
    g.log(t - 1, "redis", "INFO", "redis-primary-0", "Background saving started by pid " + str(20000 + t % 9000), table=False)
    g.log(t - 2, "redis", "INFO", "redis-primary-0", "DB saved on disk", comp="C", table=False)
    g.log(t - 3, "redis", "INFO", "redis-primary-0", "Background saving terminated with success", table=False)
for t in range(7200 - 60, 0, -1800):
    g.log(t, "redis", "INFO", "redis-replica-0", "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.", comp="S", table=False)

g.write()

# --- slow queries: every reconciliation run reads the whole transactions table -----------
import json
from scenario_tools.scengen import rel
runs = [(1567, "payment-gw-def34"), *[(st, "payment-gw-def34") for st, _ in def34_runs],
        (GHI56_FIRST + RUN + 7, "payment-gw-ghi56"), *[(st, "payment-gw-ghi56") for st, _ in ghi56_runs]]
slow = []
for st, host in runs:
    slow.append({"at": st - 21, "service": "payment-gateway", "database": "payments-db", "duration_ms": g.rng.randint(11800, 12900),
                 "rows_examined": 2104331 + g.rng.randint(0, 40), "query": "SELECT * FROM transactions WHERE created_at >= ? ORDER BY id"})
for at, ms, rows, q in (
    (6900, 1450, 18200, "SELECT m.id, m.name, s.tier FROM merchants m JOIN merchant_settings s ON s.merchant_id = m.id WHERE m.updated_at > ?"),
    (5300, 1120, 9600, "SELECT * FROM card_bins WHERE prefix LIKE ?"),
    (3900, 5200, 180000, "UPDATE fraud_scores SET recalculated = true WHERE checked_at < now() - INTERVAL '24 hours'"),
    (1150, 8700, 450000, "SELECT t.*, c.name FROM transactions t JOIN customers c ON t.customer_id = c.id WHERE t.status = 'pending'"),
    (610, 2300, 61000, "SELECT card_hash, count(*) FROM transactions WHERE created_at > now() - INTERVAL '1 hour' GROUP BY card_hash"),
):
    svc = "fraud-detection" if "fraud" in q or "card_hash" in q else "payment-gateway"
    db = "fraud-db" if "fraud_scores" in q else "payments-db"
    slow.append({"at": at, "service": svc, "database": db, "duration_ms": ms, "rows_examined": rows, "query": q})
slow.sort(key=lambda r: -r["at"])
with (g.folder / "slow_queries.jsonl").open("w") as f:
    for r in slow:
        f.write(json.dumps({**r, "at": rel(r["at"])}) + "\n")
