"""checkout-latency: a config-only deploy cut orders-service's HikariCP pool from 50 to 5.

Checkout (the entry point, where the alerts fire) times out calling orders-service;
orders-service threads wait 30 s for one of 5 connections; PostgreSQL is idle-ish.
Red herrings: checkout-service's own deploy 2h ago, a heavy reporting query and
checkpoint warnings on orders-db.
"""

from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("checkout-latency", seed=2)
F = g.folder
F.mkdir(exist_ok=True)
CFG = 52 * 60          # the config deploy (ago, s)
LOAD = 34 * 60         # lunchtime traffic crosses what 5 connections per pod can serve

ORD = ["orders-service-6x9kp", "orders-service-b2m4t", "orders-service-q7w3z", "orders-service-h5n8r"]
ORD_OLD = ["orders-service-f4k8m", "orders-service-l2x7c", "orders-service-v9d3j", "orders-service-z6r5w"]
CK = ["checkout-service-k3j9d", "checkout-service-p8v2x", "checkout-service-t4m6q"]
CART = ["cart-service-r2d7f", "cart-service-w9k3s"]
INV = ["inventory-service-c5x8b", "inventory-service-n1q4z"]
REP = ["reporting-service-j6t2v"]
for h in ORD:
    g.pod(h, [CFG - 20 * ORD.index(h)])
for h in CK:
    g.pod(h, [2 * 3600 + 600 - 30 * CK.index(h)], fmt="logfmt")
for h in CART:
    g.pod(h, [3 * 86400], fmt="json")
for h in INV:
    g.pod(h, [8 * 86400], fmt="json")
g.pod(REP[0], [86400])
g.pod("orders-db-0", [40 * 86400], fmt="raw")
g.pod("orders-db-1", [40 * 86400], fmt="raw")


def orders_up(h, t):
    return (h in ORD and t <= CFG - 20 * ORD.index(h)) or (h in ORD_OLD and t > CFG - 20 * ORD_OLD.index(h))


# --- orders-service start-up with the new config ------------------------------------
for h in ORD:
    t = CFG - 20 * ORD.index(h)
    L = lambda dt, lvl, comp, msg, table=False: g.log(t - dt, "orders-service", lvl, h, msg, comp=comp, table=table)
    L(0, "INFO", "main", "Starting OrdersServiceApplication v3.8.2 using Java 21.0.3 with PID 1", True)
    L(1, "INFO", "main", "The following 1 profile is active: \"prod\"")
    L(2, "INFO", "config", "Loaded ConfigMap orders-service-config (resourceVersion 88412907, rev 14)", True)
    L(3, "INFO", "com.zaxxer.hikari.HikariConfig", "HikariPool-1 - configuration: maximumPoolSize=5 minimumIdle=5 connectionTimeout=30000 maxLifetime=1800000", True)
    L(4, "INFO", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Starting...")
    L(5, "INFO", "com.zaxxer.hikari.pool.HikariPool", "HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@6d4a8f2e")
    L(5, "INFO", "com.zaxxer.hikari.HikariDataSource", "HikariPool-1 - Start completed.")
    L(9, "INFO", "o.s.b.w.embedded.tomcat.TomcatWebServer", "Tomcat started on port 8080 (http) with context path '/'")
    L(9, "INFO", "main", "Started OrdersServiceApplication in 9.1 seconds (process running for 9.8)", True)

# --- traffic -----------------------------------------------------------------------------
for t in g.poisson(7200, 0, 1.0):
    tid = g.hexid(16)
    ck = g.pick(CK)
    hosts = [h for h in ORD + ORD_OLD if orders_up(h, t)]
    oh = g.pick(hosts)
    busy = t < LOAD
    fail = busy and g.rng.random() < (0.28 if t < 20 * 60 else 0.12)
    g.log(t + 0.2, "cart-service", "INFO", g.pick(CART), "cart snapshot for checkout", trace=tid, duration_ms=g.rng.randint(3, 12), comp="cart")
    if g.rng.random() < 0.6:
        g.log(t + 0.1, "inventory-service", "INFO", g.pick(INV), f"reserved {g.rng.randint(1, 4)} SKUs", trace=tid, duration_ms=g.rng.randint(8, 30), comp="reservations")
    if fail:
        g.log(t - 10, "checkout-service", "ERROR", ck, "POST /api/v1/checkout failed: orders-service CreateOrder: context deadline exceeded (timeout 10s)", trace=tid, duration_ms=10004, comp="checkout")
        g.log(t - 30, "orders-service", "ERROR", oh, f"HikariPool-1 - Connection is not available, request timed out after 30000ms (total=5, active=5, idle=0, waiting={g.rng.randint(18, 64)})",
              trace=tid, duration_ms=30001, comp="com.zaxxer.hikari.pool.HikariPool")
        g.log(t - 30, "orders-service", "ERROR", oh, "POST /orders failed: Could not open JPA EntityManager for transaction; nested exception is org.hibernate.exception.JDBCConnectionException: Unable to acquire JDBC Connection",
              trace=tid, comp="o.s.web.servlet.DispatcherServlet", table=g.rng.random() < 0.5,
              cont=["org.springframework.transaction.CannotCreateTransactionException: Could not open JPA EntityManager for transaction",
                    "\tat org.springframework.orm.jpa.JpaTransactionManager.doBegin(JpaTransactionManager.java:466)",
                    "Caused by: org.hibernate.exception.JDBCConnectionException: Unable to acquire JDBC Connection",
                    "Caused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=5, active=5, idle=0, waiting=41)",
                    "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)",
                    "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)"])
    else:
        wait = g.rng.randint(900, 6000) if busy else g.rng.randint(0, 3)
        ms = wait + g.rng.randint(25, 70)
        g.log(t - ms / 1000, "orders-service", "INFO", oh, f"POST /orders 201 order=ord_{g.hexid(10)} in {ms}ms", trace=tid, duration_ms=ms, comp="OrderController")
        if ms > 5000 and g.rng.random() < 0.7:
            g.log(t - ms / 1000, "orders-service", "WARN", oh, f"Slow request: POST /orders took {ms}ms (connection acquire {wait}ms)", trace=tid, comp="RequestTimingFilter")
        if ms > 9800:
            g.log(t - 10, "checkout-service", "ERROR", ck, "POST /api/v1/checkout failed: orders-service CreateOrder: context deadline exceeded (timeout 10s)", trace=tid, duration_ms=10002, comp="checkout")
        else:
            g.log(t - ms / 1000 - 0.05, "checkout-service", "INFO", ck, "POST /api/v1/checkout 200", trace=tid, duration_ms=ms + g.rng.randint(40, 90), comp="checkout")
# orders-service reads (order history), cheaper but same pool
for t in g.poisson(7200, 0, 0.4):
    oh = g.pick([h for h in ORD + ORD_OLD if orders_up(h, t)])
    if t < LOAD and g.rng.random() < 0.25:
        g.log(t, "orders-service", "ERROR", oh, f"HikariPool-1 - Connection is not available, request timed out after 30000ms (total=5, active=5, idle=0, waiting={g.rng.randint(18, 64)})",
              duration_ms=30001, comp="com.zaxxer.hikari.pool.HikariPool")
    else:
        ms = g.rng.randint(2000, 9000) if t < LOAD else g.rng.randint(8, 40)
        g.log(t, "orders-service", "INFO", oh, f"GET /orders?customer=c_{g.hexid(8)} 200 in {ms}ms", duration_ms=ms, comp="OrderController")
# Hikari housekeeping stats (DEBUG, enabled in prod for this logger)
for h in ORD + ORD_OLD:
    for t in range(7200 - 7 * (ORD + ORD_OLD).index(h), 0, -600):
        if not orders_up(h, t):
            continue
        if h in ORD_OLD:
            a = g.rng.randint(6, 14)
            msg = f"HikariPool-1 - Pool stats (total={a + 9}, active={a}, idle=9, waiting=0)"
        elif t > LOAD:
            a = g.rng.randint(2, 5)
            msg = f"HikariPool-1 - Pool stats (total=5, active={a}, idle={5 - a}, waiting={0 if a < 5 else g.rng.randint(1, 3)})"
        else:
            msg = f"HikariPool-1 - Pool stats (total=5, active=5, idle=0, waiting={g.rng.randint(22, 70)})"
        g.log(t, "orders-service", "DEBUG", h, msg, comp="com.zaxxer.hikari.pool.HikariPool")
# readiness (includes the db health indicator) fails under the wait
for t in g.poisson(LOAD - 120, 0, 0.5):
    h = g.pick(ORD)
    g.log(t, "orders-service", "WARN", h, "Health contributor db (DataSourceHealthIndicator) failed: Failed to obtain JDBC Connection; readiness DOWN",
          comp="o.s.b.actuate.jdbc.DataSourceHealthIndicator")
for t in g.poisson(LOAD - 60, 0, 0.35):
    g.log(t, "checkout-service", "WARN", g.pick(CK), "retrying orders-service CreateOrder (attempt 2/2) after UNAVAILABLE: no healthy upstream", comp="client")

# --- noise -------------------------------------------------------------------------------
for t in g.poisson(7200, 0, 0.4):
    g.log(t, "cart-service", "INFO", g.pick(CART), f"GET /cart/{g.hexid(8)} 200", duration_ms=g.rng.randint(2, 9), comp="http")
for t in g.poisson(7200, 0, 0.25):
    g.log(t, "inventory-service", "INFO", g.pick(INV), f"stock sync from warehouse WH-{g.rng.randint(1, 4)}: {g.rng.randint(40, 400)} SKUs updated", comp="sync")
for t in g.poisson(7200, 0, 0.15):
    g.log(t, "checkout-service", "INFO", g.pick(CK), f"promo code {g.pick(['SPRING10', 'FREESHIP', 'WELCOME5'])} applied", comp="promo")
for t in (6900, 5200, 3100, 1600):
    g.log(t, "checkout-service", "WARN", g.pick(CK), "promo code lookup cache miss; loaded 412 codes from config", comp="promo")
for t in range(7200 - 45, 0, -3600):
    g.log(t, "reporting-service", "INFO", REP[0], "hourly revenue rollup scheduled", comp="scheduler")
g.log(41 * 60 + 14, "reporting-service", "INFO", REP[0], "revenue rollup started: window=last 24h, source=orders-db (read replica unavailable, using primary)", comp="rollup")
g.log(41 * 60 - 1, "reporting-service", "WARN", REP[0], "revenue rollup query took 14210ms (3,412,774 rows)", duration_ms=14210, comp="rollup")
g.log(41 * 60 - 3, "reporting-service", "INFO", REP[0], "revenue rollup finished: 24 buckets written", comp="rollup")
g.log(101 * 60 + 14, "reporting-service", "INFO", REP[0], "revenue rollup started: window=last 24h, source=orders-db (read replica unavailable, using primary)", comp="rollup")
g.log(101 * 60 - 2, "reporting-service", "WARN", REP[0], "revenue rollup query took 13377ms (3,398,120 rows)", duration_ms=13377, comp="rollup")
g.log(101 * 60 - 4, "reporting-service", "INFO", REP[0], "revenue rollup finished: 24 buckets written", comp="rollup")

# postgres (pod logs only): checkpoints, the rollup statement, connection counts stay low
pg = lambda t, msg, h="orders-db-0": g.log(t, "orders-db", "INFO", h, "{T} [" + str(1000 + int(t) % 8000) + "] " + msg, table=False)
for t in range(7200 - 100, 0, -300):
    pg(t, "LOG:  checkpoint starting: time")
    pg(t - 28, f"LOG:  checkpoint complete: wrote {g.rng.randint(800, 3000)} buffers ({g.rng.uniform(0.5, 2.5):.1f}%); 0 WAL file(s) added, 0 removed, 1 recycled; write={g.rng.uniform(20, 27):.3f} s, sync=0.004 s, total={g.rng.uniform(27, 28):.3f} s")
pg(41 * 60 + 5, "LOG:  checkpoints are occurring too frequently (24 seconds apart)")
pg(41 * 60 + 5, "HINT:  Consider increasing the configuration parameter \"max_wal_size\".")
pg(41 * 60, "LOG:  duration: 14210.512 ms  statement: SELECT date_trunc('hour', created_at) AS h, sum(total_cents) FROM orders WHERE created_at > now() - interval '24 hours' GROUP BY 1")
pg(101 * 60, "LOG:  duration: 13377.208 ms  statement: SELECT date_trunc('hour', created_at) AS h, sum(total_cents) FROM orders WHERE created_at > now() - interval '24 hours' GROUP BY 1")
pg(CFG - 3, "LOG:  connection authorized: user=orders database=orders application_name=PostgreSQL JDBC Driver SSL enabled (protocol=TLSv1.3)")
pg(7200 - 201, "LOG:  started streaming WAL from primary at 3A/5E000000 on timeline 1", "orders-db-1")
for t in range(7200 - 200, 0, -900):
    pg(t, f"LOG:  restartpoint complete: wrote {g.rng.randint(500, 2000)} buffers", "orders-db-1")

# --- named traces ------------------------------------------------------------------------
for tid, at, oh in (("7f3c9e2a41d05b88", 312, ORD[1]), ("c1a94f0e7d2b6a35", 95, ORD[2])):
    g.log(at + 0.3, "cart-service", "INFO", CART[0], "cart snapshot for checkout", trace=tid, duration_ms=6, comp="cart")
    g.log(at + 0.2, "inventory-service", "INFO", INV[1], "reserved 2 SKUs", trace=tid, duration_ms=14, comp="reservations")
    g.log(at - 10, "checkout-service", "ERROR", CK[0], "POST /api/v1/checkout failed: orders-service CreateOrder: context deadline exceeded (timeout 10s)", trace=tid, duration_ms=10003, comp="checkout")
    g.log(at - 30, "orders-service", "ERROR", oh, "HikariPool-1 - Connection is not available, request timed out after 30000ms (total=5, active=5, idle=0, waiting=47)", trace=tid, duration_ms=30001, comp="com.zaxxer.hikari.pool.HikariPool")
g.log(2 * 3600 - 300, "checkout-service", "INFO", CK[1], "POST /api/v1/checkout 200", trace="0a9b8c7d6e5f4a3b", duration_ms=118, comp="checkout")
g.log(2 * 3600 - 299.9, "orders-service", "INFO", ORD_OLD[0], "POST /orders 201 order=ord_5c2e91ab07 in 41ms", trace="0a9b8c7d6e5f4a3b", duration_ms=41, comp="OrderController")
g.write()

# --- slow queries: the database answers orders-service fast; only the rollup is slow --------
import json
slow = [
    {"at": rel(101 * 60), "service": "reporting-service", "database": "orders-db", "duration_ms": 13377, "rows_examined": 3398120,
     "query": "SELECT date_trunc('hour', created_at) AS h, sum(total_cents) FROM orders WHERE created_at > now() - interval '24 hours' GROUP BY 1"},
    {"at": rel(41 * 60), "service": "reporting-service", "database": "orders-db", "duration_ms": 14210, "rows_examined": 3412774,
     "query": "SELECT date_trunc('hour', created_at) AS h, sum(total_cents) FROM orders WHERE created_at > now() - interval '24 hours' GROUP BY 1"},
    {"at": rel(88 * 60), "service": "inventory-service", "database": "inventory-db", "duration_ms": 1240, "rows_examined": 52000,
     "query": "UPDATE stock_levels SET qty = ?, synced_at = now() WHERE warehouse_id = ? AND sku = ANY(?)"},
]
(F / "slow_queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in slow))

# --- kubernetes objects -------------------------------------------------------------------
ORD_IMG, CK_IMG = "registry.shop.example/orders-service:v3.8.2", "registry.shop.example/checkout-service:v7.3.0"
pods = []
for i, h in enumerate(ORD):
    started = rel(CFG - 20 * i)
    ready = h != "orders-service-q7w3z"
    pods.append(pod(h, "shop", "orders-service", f"worker-0{1 + i % 3}", started, f"10.60.{i % 3}.{21 + i}",
                    [container("orders", ORD_IMG, ready=ready, started=started, ports=[8080],
                               requests={"cpu": "500m", "memory": "768Mi"}, limits={"cpu": "2", "memory": "1536Mi"},
                               env={"SPRING_PROFILES_ACTIVE": "prod", "DB_URL": "jdbc:postgresql://orders-db.data.svc:5432/orders",
                                    "SPRING_DATASOURCE_HIKARI_MAXIMUM_POOL_SIZE": "5", "JAVA_TOOL_OPTIONS": "-XX:MaxRAMPercentage=75"},
                               liveness={"http": "/actuator/health/liveness", "port": 8080, "delay": 60, "period": 10},
                               readiness={"http": "/actuator/health/readiness", "port": 8080, "delay": 20, "period": 5, "failure_threshold": 3})],
                    usage={"cpu": f"{g.rng.randint(90, 160)}m", "memory": f"{g.rng.randint(610, 700)}Mi"}))
for i, h in enumerate(CK):
    started = rel(2 * 3600 + 600 - 30 * i)
    pods.append(pod(h, "shop", "checkout-service", f"worker-0{1 + (i + 1) % 3}", started, f"10.60.{i % 3}.{41 + i}",
                    [container("checkout", CK_IMG, started=started, ports=[8080], requests={"cpu": "250m", "memory": "128Mi"},
                               limits={"cpu": "1", "memory": "256Mi"}, env={"ORDERS_ADDR": "orders-service.shop.svc:8080", "ORDERS_TIMEOUT": "10s"},
                               liveness={"http": "/livez", "port": 8080, "delay": 5, "period": 10},
                               readiness={"http": "/readyz", "port": 8080, "delay": 3, "period": 5})],
                    usage={"cpu": f"{g.rng.randint(60, 120)}m", "memory": f"{g.rng.randint(70, 110)}Mi"}))
for i, h in enumerate(CART):
    pods.append(pod(h, "shop", "cart-service", f"worker-0{1 + i}", "-3d", f"10.60.{i}.{61 + i}",
                    [container("cart", "registry.shop.example/cart-service:v2.1.9", started="-3d", ports=[8080],
                               requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "256Mi"},
                               readiness={"http": "/health", "port": 8080, "period": 5})],
                    usage={"cpu": "35m", "memory": "84Mi"}))
for i, h in enumerate(INV):
    pods.append(pod(h, "shop", "inventory-service", f"worker-0{2 + i}", "-8d", f"10.60.{1 + i}.{71 + i}",
                    [container("inventory", "registry.shop.example/inventory-service:v5.0.3", started="-8d", ports=[8080],
                               requests={"cpu": "200m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "512Mi"},
                               readiness={"http": "/health", "port": 8080, "period": 5})],
                    usage={"cpu": "80m", "memory": "190Mi"}))
pods.append(pod(REP[0], "analytics", "reporting-service", "worker-03", "-1d", "10.60.2.81",
                [container("reporting", "registry.shop.example/reporting-service:v1.4.0", started="-1d",
                           requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "1Gi"})],
                usage={"cpu": "20m", "memory": "310Mi"}))
for i, h in enumerate(["orders-db-0", "orders-db-1"]):
    pods.append(pod(h, "data", "orders-db", f"db-0{1 + i}", "-40d", f"10.60.9.{10 + i}",
                    [container("postgres", "postgres:16.3", started="-40d", ports=[5432],
                               requests={"cpu": "2", "memory": "8Gi"}, limits={"cpu": "4", "memory": "8Gi"},
                               env={"POSTGRES_DB": "orders", "PGDATA": "/var/lib/postgresql/data/pgdata"},
                               liveness={"exec": ["pg_isready", "-U", "postgres"], "delay": 30, "period": 10},
                               readiness={"exec": ["pg_isready", "-U", "postgres"], "delay": 5, "period": 5}),
                     container("metrics", "quay.io/prometheuscommunity/postgres-exporter:v0.15.0", started="-40d", ports=[9187])],
                    usage={"cpu": "240m" if i == 0 else "60m", "memory": "5.1Gi" if i == 0 else "4.4Gi"}))
pods.append(pod("prometheus-server-5f8kd", "monitoring", "prometheus-server", "worker-03", "-30d", "10.60.2.90",
                [container("prometheus", "quay.io/prometheus/prometheus:v2.53.1", started="-30d", ports=[9090])],
                usage={"cpu": "380m", "memory": "2.9Gi"}))
pods.append(pod("grafana-9w2xh", "monitoring", "grafana", "worker-01", "-30d", "10.60.0.91",
                [container("grafana", "grafana/grafana:11.1.0", started="-30d", ports=[3000])], usage={"cpu": "15m", "memory": "120Mi"}))
write_yaml(F, "pods.yaml", pods, "# orders-service was re-rolled 52m ago by a config-only change; one pod is failing readiness right now")

deps = [
    {"name": "orders-service", "namespace": "shop", "service": "orders-service", "container": "orders", "replicas": 4, "ready": 3, "available": 3,
     "updated": 4, "image": ORD_IMG, "created": "-400d", "revision": 37},
    {"name": "checkout-service", "namespace": "shop", "service": "checkout-service", "container": "checkout", "replicas": 3, "ready": 3,
     "image": CK_IMG, "created": "-400d", "revision": 112},
    {"name": "cart-service", "namespace": "shop", "service": "cart-service", "container": "cart", "replicas": 2, "ready": 2,
     "image": "registry.shop.example/cart-service:v2.1.9", "created": "-300d", "revision": 41},
    {"name": "inventory-service", "namespace": "shop", "service": "inventory-service", "container": "inventory", "replicas": 2, "ready": 2,
     "image": "registry.shop.example/inventory-service:v5.0.3", "created": "-300d", "revision": 58},
    {"name": "reporting-service", "namespace": "analytics", "service": "reporting-service", "container": "reporting", "replicas": 1, "ready": 1,
     "image": "registry.shop.example/reporting-service:v1.4.0", "created": "-90d", "revision": 9},
    {"name": "prometheus-server", "namespace": "monitoring", "service": "prometheus-server", "container": "prometheus", "replicas": 1, "ready": 1,
     "image": "quay.io/prometheus/prometheus:v2.53.1", "created": "-300d", "revision": 7},
    {"name": "grafana", "namespace": "monitoring", "service": "grafana", "replicas": 1, "ready": 1, "image": "grafana/grafana:11.1.0", "created": "-300d", "revision": 5},
]
write_yaml(F, "deployments.yaml", deps)

events = [
    {"namespace": "shop", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/orders-service", "source": "deployment-controller",
     "message": "Scaled up replica set orders-service-7b6f9c8d54 to 4 from 3", "at": rel(CFG - 60), "first": rel(CFG)},
    {"namespace": "shop", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/orders-service", "source": "deployment-controller",
     "message": "Scaled down replica set orders-service-5c4d8b7f96 to 0 from 1", "at": rel(CFG - 75)},
    *[{"namespace": "shop", "type": "Normal", "reason": "Started", "object": f"pod/{h}", "message": "Started container orders", "at": rel(CFG - 20 * i)} for i, h in enumerate(ORD)],
    {"namespace": "shop", "type": "Warning", "reason": "Unhealthy", "object": "pod/orders-service-q7w3z",
     "message": "Readiness probe failed: HTTP probe failed with statuscode: 503", "at": "-20s", "first": rel(LOAD - 150), "count": 57},
    {"namespace": "shop", "type": "Warning", "reason": "Unhealthy", "object": "pod/orders-service-b2m4t",
     "message": "Readiness probe failed: HTTP probe failed with statuscode: 503", "at": "-2m40s", "first": rel(LOAD - 200), "count": 23},
    {"namespace": "shop", "type": "Warning", "reason": "Unhealthy", "object": "pod/orders-service-6x9kp",
     "message": "Readiness probe failed: HTTP probe failed with statuscode: 503", "at": "-6m10s", "first": rel(LOAD - 300), "count": 14},
    {"namespace": "shop", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/checkout-service", "source": "horizontal-pod-autoscaler",
     "message": "New size: 3; reason: All metrics below target", "at": "-1h15m"},
    {"namespace": "analytics", "type": "Normal", "reason": "SawCompletedJob", "object": "cronjob/revenue-rollup", "source": "cronjob-controller",
     "message": "Saw completed job: revenue-rollup-29417362, status: Complete", "at": "-40m"},
]
write_yaml(F, "events.yaml", events)
