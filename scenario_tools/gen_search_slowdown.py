"""search-slowdown: the shared Elasticsearch cluster behind search is at capacity.

A marketing campaign (emails sent 45m ago) tripled search traffic. es-shared-prod, a
managed cluster shared with catalog indexing, stays green but its search thread pools
fill (queue 1000/1000) and reject (es_rejected_execution_exception, 429); queries take
seconds, search-api's circuit breaker opens. The HPA adds search-api pods, which only
sends more queries to the saturated cluster. No deploy in nine days. Red herrings: a
search-api pod restarted by its liveness probe (threads stuck waiting on ES), the HPA
scale-out, and query-suggest.
"""

from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("search-slowdown", seed=21)
F = g.folder
F.mkdir(exist_ok=True)
CAMPAIGN, SAT, CB = 45 * 60, 38 * 60, 20 * 60
OLD = ["search-api-7k2vd", "search-api-c8m4x", "search-api-l3q9w", "search-api-t6n1b"]
NEW = ["search-api-a9f2k", "search-api-g5w7p", "search-api-p1x8z", "search-api-z4r6c"]
NEW_AT = {NEW[0]: 36 * 60, NEW[1]: 36 * 60 - 15, NEW[2]: 29 * 60, NEW[3]: 29 * 60 - 20}
SUG = ["query-suggest-d3h7m", "query-suggest-k8t2q", "query-suggest-w5b9n"]
IDX = "catalog-indexer-j4v6s"
RESTARTS = [(17 * 60 + 40, 16 * 60 + 10), (6 * 60 + 30, 5 * 60)]  # (killed, restarted) for search-api-c8m4x
for h in OLD:
    g.pod(h, [9 * 86400] + ([s for _, s in RESTARTS] if h == "search-api-c8m4x" else []))
for h in NEW:
    g.pod(h, [NEW_AT[h]])
for h in SUG:
    g.pod(h, [6 * 86400], fmt="logfmt")
g.pod(IDX, [9 * 86400], fmt="json")
QUERIES = ["winter boots", "usb-c charger", "rain jacket", "lego", "air fryer", "running shoes", "gift card", "headphones", "standing desk", "black friday"]


def api_up(h, t):
    if h in NEW:
        return t <= NEW_AT[h]
    if h == "search-api-c8m4x":
        return not any(k >= t > s for k, s in RESTARTS)
    return True


def rate(t):
    return 1.0 if t > CAMPAIGN else 2.6


t = 7200.0
while True:
    t -= g.rng.expovariate(rate(t) / 60.0)
    if t <= 1:
        break
    h = g.pick([x for x in OLD + NEW if api_up(x, t)])
    q = g.pick(QUERIES)
    rid = g.hexid(16)
    if t > SAT:
        es = g.rng.randint(18, 70) if t > CAMPAIGN else g.rng.randint(60, 400)
        g.log(t, "search-api", "INFO", h, f'GET /v2/search?q="{q}" 200 hits={g.rng.randint(40, 2400)} took_es={es}ms total={es + g.rng.randint(8, 30)}ms', trace=rid, duration_ms=es + 20, comp="SearchController")
        continue
    r = g.rng.random()
    if t < CB and r < 0.3:
        g.log(t, "search-api", "ERROR", h, "GET /v2/search 503: CallNotPermittedException: CircuitBreaker 'elasticsearch' is OPEN and does not permit further calls", trace=rid, duration_ms=1, comp="SearchController")
    elif r < 0.45:
        g.log(t, "search-api", "ERROR", h, "GET /v2/search 503: Elasticsearch rejected search: es_rejected_execution_exception: rejected execution of TransportService$ContextRestoreResponseHandler "
              f"on EsThreadPoolExecutor[name = es-shared-prod-data-{g.rng.randint(1, 6)}/search, queue capacity = 1000, active threads = 13, queued tasks = 1000]",
              trace=rid, duration_ms=g.rng.randint(900, 3000), comp="SearchController")
    elif r < 0.6:
        g.log(t, "search-api", "ERROR", h, "GET /v2/search 504: Elasticsearch request timed out after 5000ms (index=products-v12)", trace=rid, duration_ms=5003, comp="SearchController")
    else:
        es = g.rng.randint(1200, 4800)
        g.log(t, "search-api", "INFO", h, f'GET /v2/search?q="{q}" 200 hits={g.rng.randint(40, 2400)} took_es={es}ms total={es + g.rng.randint(10, 60)}ms', trace=rid, duration_ms=es + 30, comp="SearchController")
        if es > 3000:
            g.log(t, "search-api", "WARN", h, f"Elasticsearch slow: took={es}ms index=products-v12 (timeout 5000ms)", trace=rid, comp="EsClient")
# ES health poller (one pod holds the poller lease)
for t in range(7200 - 20, 0, -300):
    if t > SAT:
        g.log(t, "search-api", "INFO", "search-api-7k2vd", f"es-shared-prod health: status=green nodes=6 cpu={g.rng.randint(28, 45) if t > CAMPAIGN else g.rng.randint(60, 78)}% search.active=3/13 search.queue=0 rejected+=0/min", comp="EsHealthPoller")
    else:
        g.log(t, "search-api", "WARN", "search-api-7k2vd", f"es-shared-prod health: status=green nodes=6 cpu={g.rng.randint(95, 99)}% search.active=13/13 search.queue={g.rng.randint(870, 1000)}/1000 rejected+={g.rng.randint(1300, 2400)}/min", comp="EsHealthPoller")
for t, msg, lvl in ((CB, "CircuitBreaker 'elasticsearch' changed state from CLOSED to OPEN (failure rate 54.2% > 50% over 100 calls)", "ERROR"),
                    (CB - 60, "CircuitBreaker 'elasticsearch' changed state from OPEN to HALF_OPEN", "WARN"),
                    (CB - 64, "CircuitBreaker 'elasticsearch' changed state from HALF_OPEN to OPEN (failure rate 70.0% > 50% over 10 calls)", "ERROR"),
                    (9 * 60, "CircuitBreaker 'elasticsearch' changed state from OPEN to HALF_OPEN", "WARN"),
                    (9 * 60 - 5, "CircuitBreaker 'elasticsearch' changed state from HALF_OPEN to OPEN (failure rate 60.0% > 50% over 10 calls)", "ERROR")):
    for h in (OLD[0], NEW[1]):
        g.log(t, "search-api", lvl, h, msg, comp="CircuitBreaker")
# the restarted pod: request threads all stuck waiting on ES → liveness times out
for k, s in RESTARTS:
    g.log(k + 50, "search-api", "WARN", "search-api-c8m4x", "Tomcat thread pool exhausted: 200/200 busy (all waiting on EsClient); new requests queued", comp="o.a.tomcat.util.threads.ThreadPoolExecutor")
    g.log(k + 2, "search-api", "INFO", "search-api-c8m4x", "Commencing graceful shutdown. Waiting for active requests to complete", comp="o.s.b.w.embedded.tomcat.GracefulShutdown")
    g.log(s, "search-api", "INFO", "search-api-c8m4x", "Starting SearchApiApplication v4.12.0 using Java 21.0.3", comp="main")
    g.log(s - 14, "search-api", "INFO", "search-api-c8m4x", "Started SearchApiApplication in 13.8 seconds", comp="main")
for h, t in NEW_AT.items():
    g.log(t, "search-api", "INFO", h, "Starting SearchApiApplication v4.12.0 using Java 21.0.3", comp="main")
    g.log(t - 14, "search-api", "INFO", h, "Started SearchApiApplication in 14.1 seconds", comp="main")

# query-suggest (Redis-backed autocomplete): fine
for t in g.poisson(7200, 0, 0.8):
    g.log(t, "query-suggest", "INFO", g.pick(SUG), f'suggest q="{g.pick(QUERIES)[:3]}" {g.rng.randint(3, 10)} results in {g.rng.randint(1, 6)}ms (redis)', duration_ms=g.rng.randint(1, 6), comp="http")
for t in (4800, 2600, 900):
    g.log(t, "query-suggest", "WARN", g.pick(SUG), "suggestion dictionary refresh from es-shared-prod skipped: previous refresh still running", comp="refresh")
# catalog-indexer: bulk writes to the same cluster get 429 too
for t in g.poisson(7200, 0, 0.35):
    if t < SAT - 300 and g.rng.random() < 0.5:
        g.log(t, "catalog-indexer", "WARN", IDX, "bulk request rejected (429 es_rejected_execution_exception, write queue full); retrying 500 docs with backoff 8s", comp="bulk")
    else:
        g.log(t, "catalog-indexer", "INFO", IDX, f"bulk indexed {g.rng.randint(200, 500)} docs into products-v12 in {g.rng.randint(150, 400) if t > SAT else g.rng.randint(1500, 4000)}ms", comp="bulk")
for t in range(SAT - 600, 0, -600):
    g.log(t, "catalog-indexer", "WARN", IDX, f"indexing backlog {g.rng.randint(9000, 16000):,} product updates (price/stock changes delayed)", comp="queue")
g.write()

# slow queries: the ES slow log as the search-api client sees it
import json
slow = []
for t in g.poisson(SAT, 0, 0.5):
    slow.append({"at": rel(t), "service": "search-api", "database": "es-shared-prod/products-v12", "duration_ms": g.rng.randint(3100, 9800), "rows_examined": g.rng.randint(20000, 90000),
                 "query": '{"query":{"multi_match":{"query":?,"fields":["title^3","brand^2","description"]}},"aggs":{"brand":{"terms":{"field":"brand"}},"price":{"range":{"field":"price"}}},"size":48}'})
(F / "slow_queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in slow))

# --- kubernetes objects -------------------------------------------------------------------
IMG = "registry.corp.example/search/search-api:v4.12.0"
API = dict(ports=[8080], requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "2", "memory": "2Gi"},
           env={"ES_URL": "https://es-shared-prod.es.corp.example:9243", "ES_TIMEOUT_MS": "5000", "SERVER_TOMCAT_THREADS_MAX": "200"},
           liveness={"http": "/actuator/health/liveness", "port": 8080, "delay": 30, "timeout": 2, "period": 10, "failure_threshold": 3},
           readiness={"http": "/actuator/health/readiness", "port": 8080, "delay": 15, "period": 5})
pods = []
for i, h in enumerate(OLD + NEW):
    created = "-9d" if h in OLD else rel(NEW_AT[h])
    kw = {}
    if h == "search-api-c8m4x":
        kw = dict(restarts=2, started=rel(RESTARTS[-1][1]),
                  last_state={"terminated": {"reason": "Error", "exit_code": 143, "started": rel(RESTARTS[0][1]), "finished": rel(RESTARTS[-1][0])}})
    else:
        kw = dict(started=created)
    pods.append(pod(h, "search", "search-api", f"worker-3{i % 4}", created, f"10.100.{i % 4}.{20 + i}",
                    [container("search-api", IMG, **kw, **API)], usage={"cpu": f"{g.rng.randint(1100, 1500)}m", "memory": f"{g.rng.randint(1200, 1500)}Mi"}))
for i, h in enumerate(SUG):
    pods.append(pod(h, "search", "query-suggest", f"worker-3{(i + 1) % 4}", "-6d", f"10.100.{i}.{50 + i}",
                    [container("suggest", "registry.corp.example/search/query-suggest:v2.3.5", started="-6d", ports=[8080],
                               requests={"cpu": "200m", "memory": "128Mi"}, limits={"cpu": "1", "memory": "256Mi"},
                               env={"REDIS_URL": "redis://suggest-redis:6379/0"})], usage={"cpu": "90m", "memory": "80Mi"}))
pods.append(pod("suggest-redis-0", "search", "suggest-redis", "worker-32", "-40d", "10.100.2.60",
                [container("redis", "redis:7.2.4", started="-40d", ports=[6379], requests={"cpu": "100m", "memory": "512Mi"}, limits={"memory": "1Gi"})],
                usage={"cpu": "40m", "memory": "300Mi"}))
pods.append(pod(IDX, "search", "catalog-indexer", "worker-33", "-9d", "10.100.3.70",
                [container("indexer", "registry.corp.example/search/catalog-indexer:v1.8.2", started="-9d",
                           requests={"cpu": "500m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "1Gi"},
                           env={"ES_URL": "https://es-shared-prod.es.corp.example:9243", "KAFKA_TOPIC": "catalog.product-updates"})],
                usage={"cpu": "310m", "memory": "430Mi"}))
pods.append(pod("prometheus-server-6v2tn", "monitoring", "prometheus-server", "worker-31", "-30d", "10.100.1.90",
                [container("prometheus", "quay.io/prometheus/prometheus:v2.53.1", started="-30d", ports=[9090])], usage={"cpu": "300m", "memory": "2.5Gi"}))
write_yaml(F, "pods.yaml", pods, "# search-api was scaled 4 -> 8 by its HPA in the last 40 minutes; one old pod was restarted twice by its liveness probe")
deps = [
    {"name": "search-api", "namespace": "search", "service": "search-api", "replicas": 8, "ready": 8, "image": IMG, "created": "-700d", "revision": 77},
    {"name": "query-suggest", "namespace": "search", "service": "query-suggest", "container": "suggest", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/search/query-suggest:v2.3.5", "created": "-500d", "revision": 26},
    {"name": "catalog-indexer", "namespace": "search", "service": "catalog-indexer", "container": "indexer", "replicas": 1, "ready": 1,
     "image": "registry.corp.example/search/catalog-indexer:v1.8.2", "created": "-500d", "revision": 15},
    {"name": "prometheus-server", "namespace": "monitoring", "service": "prometheus-server", "container": "prometheus", "replicas": 1, "ready": 1,
     "image": "quay.io/prometheus/prometheus:v2.53.1", "created": "-400d", "revision": 7},
]
write_yaml(F, "deployments.yaml", deps)
events = [
    {"namespace": "search", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/search-api", "source": "horizontal-pod-autoscaler",
     "message": "New size: 6; reason: cpu resource utilization (percentage of request) above target", "at": rel(NEW_AT[NEW[0]] + 2)},
    {"namespace": "search", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/search-api", "source": "horizontal-pod-autoscaler",
     "message": "New size: 8; reason: cpu resource utilization (percentage of request) above target", "at": rel(NEW_AT[NEW[2]] + 2)},
    {"namespace": "search", "type": "Warning", "reason": "FailedGetResourceMetric", "object": "horizontalpodautoscaler/search-api", "source": "horizontal-pod-autoscaler",
     "message": "failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)", "at": rel(NEW_AT[NEW[2]] - 30)},
    {"namespace": "search", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/search-api", "source": "deployment-controller",
     "message": "Scaled up replica set search-api-6b7d9f5c84 to 6 from 4", "at": rel(NEW_AT[NEW[0]] + 1)},
    {"namespace": "search", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/search-api", "source": "deployment-controller",
     "message": "Scaled up replica set search-api-6b7d9f5c84 to 8 from 6", "at": rel(NEW_AT[NEW[2]] + 1)},
    {"namespace": "search", "type": "Warning", "reason": "Unhealthy", "object": "pod/search-api-c8m4x",
     "message": "Liveness probe failed: Get \"http://10.100.1.21:8080/actuator/health/liveness\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
     "at": rel(RESTARTS[-1][0] + 1), "first": rel(RESTARTS[0][0] + 21), "count": 6},
    {"namespace": "search", "type": "Normal", "reason": "Killing", "object": "pod/search-api-c8m4x",
     "message": "Container search-api failed liveness probe, will be restarted", "at": rel(RESTARTS[-1][0]), "first": rel(RESTARTS[0][0]), "count": 2},
    {"namespace": "search", "type": "Warning", "reason": "Unhealthy", "object": "pod/search-api-l3q9w",
     "message": "Readiness probe failed: Get \"http://10.100.2.22:8080/actuator/health/readiness\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
     "at": "-3m", "first": "-19m", "count": 7},
]
write_yaml(F, "events.yaml", events)
