"""mobile-api-errors: identity-service rolled out a tag that does not exist (v5.20 for v5.2.0).

The rollout (maxUnavailable 50%) scaled the old ReplicaSet to 2 and created 3 new pods
that sit in ImagePullBackOff. Half the capacity serves the morning peak: the two old
pods saturate, the mesh answers 503 (overflow), and mobile-bff, which introspects
every token, fails too. mobile-bff is the victim (and where the alerts are loudest).
"""

from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("mobile-api-errors", seed=5)
F = g.folder
F.mkdir(exist_ok=True)
DEPLOY, PEAK = 58 * 60, 40 * 60
OLD = ["identity-service-5x7kp", "identity-service-9m2wd"]
GONE = ["identity-service-q4b6n", "identity-service-w8j1s"]  # old pods removed by the rollout
NEW = ["identity-service-h3t8q", "identity-service-n6v4z", "identity-service-r1c9f"]
BFF = ["mobile-bff-6tq3x", "mobile-bff-d9k2p", "mobile-bff-v4m8s"]
PROF = ["profile-service-b2x5r", "profile-service-k7w9c"]
PUSH = ["push-gateway-f3h6j", "push-gateway-s8n1l"]
for h in OLD:
    g.pod(h, [6 * 86400])
for h in BFF:
    g.pod(h, [4 * 86400], fmt="json")
for h in PROF:
    g.pod(h, [9 * 86400], fmt="json")
for h in PUSH:
    g.pod(h, [9 * 86400], fmt="logfmt")
IMG_NEW = "registry.corp.example/identity/identity-service:v5.20"
IMG_OLD = "registry.corp.example/identity/identity-service:v5.1.4"

for h in GONE:
    g.log(DEPLOY - 2, "identity-service", "INFO", h, "SIGTERM: draining connections (grace 30s)", comp="main")
    g.log(DEPLOY - 30, "identity-service", "INFO", h, "shutdown complete", comp="main")


def ident_hosts(t):
    return OLD + (GONE if t > DEPLOY - 30 else [])


# --- traffic: every mobile request introspects its token ----------------------------------------
def load(t):  # requests per minute in the log sample: morning ramp from PEAK
    return 1.0 if t > PEAK else 2.2


t = 7200.0
while t > 1:
    t -= g.rng.expovariate(load(t) / 60.0)
    if t <= 1:
        break
    rid = g.hexid(16)
    b = g.pick(BFF)
    ih = g.pick(ident_hosts(t))
    route = g.pick(["GET /v3/home", "GET /v3/orders", "GET /v3/profile", "POST /v3/cart/items", "GET /v3/wallet"])
    sat = t < PEAK - 300
    if sat and g.rng.random() < 0.38:
        if g.rng.random() < 0.6:
            g.log(t, "mobile-bff", "ERROR", b, f"{route} 503: identity-service introspect failed: upstream connect error or disconnect/reset before headers. reset reason: overflow",
                  trace=rid, duration_ms=g.rng.randint(2, 9), comp="auth")
        else:
            g.log(t - 0.1, "identity-service", "ERROR", ih, "POST /oauth2/introspect 503: request queue full (256/256), rejecting", trace=rid, duration_ms=1, comp="http")
            g.log(t, "mobile-bff", "ERROR", b, f"{route} 503: identity-service introspect returned 503 Service Unavailable", trace=rid, duration_ms=g.rng.randint(3, 12), comp="auth")
        continue
    ims = g.rng.randint(900, 2800) if sat else g.rng.randint(3, 12)
    g.log(t - 0.2, "identity-service", "INFO", ih, f"POST /oauth2/introspect 200 active=true client=mobile-app in {ims}ms", trace=rid, duration_ms=ims, comp="http")
    if ims > 1500:
        g.log(t, "mobile-bff", "WARN", b, f"identity-service introspect slow: {ims}ms (budget 500ms)", trace=rid, comp="auth")
    if "profile" in route and g.rng.random() < 0.7:
        g.log(t + 0.05, "profile-service", "INFO", g.pick(PROF), f"GET /profiles/u_{g.hexid(8)} 200", trace=rid, duration_ms=g.rng.randint(4, 20), comp="http")
    ms = ims + g.rng.randint(20, 140)
    g.log(t + ms / 1000, "mobile-bff", "INFO", b, f"{route} 200 in {ms}ms", trace=rid, duration_ms=ms, comp="http")

# identity-service saturation on the two remaining pods
for t in g.poisson(PEAK, 0, 0.9):
    h = g.pick(OLD)
    g.log(t, "identity-service", "WARN", h, f"worker pool saturated: 64/64 busy, queue {g.rng.randint(180, 256)}/256; p99 {g.rng.randint(1800, 3200)}ms", comp="http")
for h in OLD:
    for t in range(7200 - 50 * OLD.index(h), 0, -900):
        cpu = g.rng.randint(35, 55) if t > PEAK else g.rng.randint(94, 99)
        g.log(t, "identity-service", "INFO", h, f"runtime: goroutines={g.rng.randint(300, 400) if t > PEAK else g.rng.randint(1400, 2100)} heap={g.rng.randint(180, 260)}MB cpu={cpu}%", comp="runtime")
for t in g.poisson(7200, 0, 0.15):
    g.log(t, "identity-service", "INFO", g.pick(ident_hosts(t)), "POST /oauth2/token 200 grant=refresh_token client=mobile-app", duration_ms=g.rng.randint(20, 60), comp="http")

# push-gateway noise and its harmless APNs throttling
for t in g.poisson(7200, 0, 0.35):
    g.log(t, "push-gateway", "INFO", g.pick(PUSH), f"sent {g.rng.randint(20, 300)} notifications (apns={g.rng.randint(10, 150)}, fcm={g.rng.randint(10, 150)})", comp="sender")
for t in (6100, 3300, 1900, 700):
    g.log(t, "push-gateway", "WARN", g.pick(PUSH), "APNs responded 429 TooManyProviderTokenUpdates; reusing cached provider token and retrying in 20s", comp="apns")
for t in g.poisson(7200, 0, 0.2):
    g.log(t, "profile-service", "INFO", g.pick(PROF), f"avatar thumbnail cache warm: {g.rng.randint(90, 99)}% hit", comp="cache")
for t in (5200, 2500):
    g.log(t, "mobile-bff", "WARN", g.pick(BFF), "feature flag 'home-v2-carousel' evaluated with stale config (flagd sync 48s old)", comp="flags")
g.write()

# --- kubernetes objects ---------------------------------------------------------------------------
RES = dict(requests={"cpu": "1", "memory": "512Mi"}, limits={"cpu": "2", "memory": "1Gi"})
PROBES = dict(liveness={"http": "/livez", "port": 8080, "delay": 5, "period": 10}, readiness={"http": "/readyz", "port": 8080, "period": 5})
pods = []
for i, h in enumerate(OLD):
    pods.append(pod(h, "identity", "identity-service", f"worker-2{i}", "-6d", f"10.90.{i}.{20 + i}",
                    [container("identity", IMG_OLD, started="-6d", ports=[8080], env={"SESSION_STORE": "redis://identity-redis:6379/0", "MAX_INFLIGHT": "64", "QUEUE_SIZE": "256"},
                               **RES, **PROBES)], usage={"cpu": f"{1950 + 20 * i}m", "memory": f"{690 + 30 * i}Mi"}))
for i, h in enumerate(NEW):
    pods.append(pod(h, "identity", "identity-service", f"worker-2{(i + 1) % 3}", rel(DEPLOY - 3 * i), f"10.90.{(i + 1) % 3}.{40 + i}",
                    [container("identity", IMG_NEW, ready=False, ports=[8080],
                               state={"waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{IMG_NEW}"'}},
                               env={"SESSION_STORE": "redis://identity-redis:6379/0", "MAX_INFLIGHT": "64", "QUEUE_SIZE": "256"}, **RES, **PROBES)]))
pods.append(pod("identity-redis-0", "identity", "identity-redis", "worker-22", "-30d", "10.90.2.10",
                [container("redis", "redis:7.2.4", started="-30d", ports=[6379], requests={"cpu": "200m", "memory": "1Gi"}, limits={"memory": "2Gi"})],
                usage={"cpu": "60m", "memory": "410Mi"}))
for i, h in enumerate(BFF):
    pods.append(pod(h, "mobile", "mobile-bff", f"worker-2{i}", "-4d", f"10.90.{i}.{60 + i}",
                    [container("bff", "registry.corp.example/mobile/mobile-bff:v8.2.1", started="-4d", ports=[3000],
                               requests={"cpu": "300m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "512Mi"},
                               env={"IDENTITY_URL": "http://identity-service.identity.svc:8080", "INTROSPECT_TIMEOUT_MS": "3000"},
                               liveness={"http": "/healthz", "port": 3000, "period": 10}, readiness={"http": "/healthz", "port": 3000, "period": 5})],
                    usage={"cpu": f"{g.rng.randint(150, 260)}m", "memory": f"{g.rng.randint(180, 240)}Mi"}))
for i, h in enumerate(PROF):
    pods.append(pod(h, "mobile", "profile-service", f"worker-2{(i + 1) % 3}", "-9d", f"10.90.{i}.{70 + i}",
                    [container("profile", "registry.corp.example/mobile/profile-service:v2.6.0", started="-9d", ports=[8080],
                               requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "256Mi"})], usage={"cpu": "30m", "memory": "90Mi"}))
for i, h in enumerate(PUSH):
    pods.append(pod(h, "mobile", "push-gateway", f"worker-2{(i + 2) % 3}", "-9d", f"10.90.{i}.{80 + i}",
                    [container("push", "registry.corp.example/mobile/push-gateway:v1.11.2", started="-9d", ports=[8080],
                               requests={"cpu": "100m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "256Mi"})], usage={"cpu": "25m", "memory": "70Mi"}))
write_yaml(F, "pods.yaml", pods, "# identity-service is mid-rollout: two old pods serve, three new pods cannot pull their image")

deps = [
    {"name": "identity-service", "namespace": "identity", "service": "identity-service", "container": "identity", "replicas": 4, "ready": 2, "available": 2, "updated": 3,
     "image": IMG_NEW, "created": "-800d", "revision": 143},
    {"name": "mobile-bff", "namespace": "mobile", "service": "mobile-bff", "container": "bff", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/mobile/mobile-bff:v8.2.1", "created": "-500d", "revision": 201},
    {"name": "profile-service", "namespace": "mobile", "service": "profile-service", "container": "profile", "replicas": 2, "ready": 2,
     "image": "registry.corp.example/mobile/profile-service:v2.6.0", "created": "-500d", "revision": 47},
    {"name": "push-gateway", "namespace": "mobile", "service": "push-gateway", "container": "push", "replicas": 2, "ready": 2,
     "image": "registry.corp.example/mobile/push-gateway:v1.11.2", "created": "-500d", "revision": 33},
]
write_yaml(F, "deployments.yaml", deps)

PULL = (f'Failed to pull image "{IMG_NEW}": rpc error: code = NotFound desc = failed to pull and unpack image "{IMG_NEW}": '
        f'failed to resolve reference "{IMG_NEW}": {IMG_NEW}: not found')
events = [
    {"namespace": "identity", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/identity-service", "source": "deployment-controller",
     "message": "Scaled up replica set identity-service-7f9c6d5b84 to 1", "at": rel(DEPLOY)},
    {"namespace": "identity", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/identity-service", "source": "deployment-controller",
     "message": "Scaled down replica set identity-service-5b8d4c9f73 to 2 from 4", "at": rel(DEPLOY - 1)},
    {"namespace": "identity", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/identity-service", "source": "deployment-controller",
     "message": "Scaled up replica set identity-service-7f9c6d5b84 to 3 from 1", "at": rel(DEPLOY - 2)},
]
for i, h in enumerate(NEW):
    c = DEPLOY - 3 * i
    events += [
        {"namespace": "identity", "type": "Normal", "reason": "Scheduled", "object": f"pod/{h}", "source": "default-scheduler",
         "message": f"Successfully assigned identity/{h} to worker-2{(i + 1) % 3}", "at": rel(c)},
        {"namespace": "identity", "type": "Normal", "reason": "Pulling", "object": f"pod/{h}", "message": f'Pulling image "{IMG_NEW}"', "at": rel(120 + 40 * i), "first": rel(c - 2), "count": 15},
        {"namespace": "identity", "type": "Warning", "reason": "Failed", "object": f"pod/{h}", "message": PULL, "at": rel(120 + 40 * i), "first": rel(c - 3), "count": 15},
        {"namespace": "identity", "type": "Warning", "reason": "Failed", "object": f"pod/{h}", "message": "Error: ErrImagePull", "at": rel(120 + 40 * i), "first": rel(c - 3), "count": 15},
        {"namespace": "identity", "type": "Normal", "reason": "BackOff", "object": f"pod/{h}", "message": f'Back-off pulling image "{IMG_NEW}"', "at": rel(15 + 10 * i), "first": rel(c - 20), "count": 244 - 3 * i},
        {"namespace": "identity", "type": "Warning", "reason": "Failed", "object": f"pod/{h}", "message": "Error: ImagePullBackOff", "at": rel(15 + 10 * i), "first": rel(c - 20), "count": 244 - 3 * i},
    ]
events += [
    {"namespace": "identity", "type": "Warning", "reason": "Unhealthy", "object": "pod/identity-service-5x7kp", "message": "Readiness probe failed: Get \"http://10.90.0.20:8080/readyz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
     "at": "-1m30s", "first": rel(PEAK - 200), "count": 19},
    {"namespace": "identity", "type": "Warning", "reason": "Unhealthy", "object": "pod/identity-service-9m2wd", "message": "Readiness probe failed: Get \"http://10.90.1.21:8080/readyz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
     "at": "-4m", "first": rel(PEAK - 260), "count": 11},
    {"namespace": "mobile", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/push-gateway", "source": "horizontal-pod-autoscaler",
     "message": "New size: 2; reason: All metrics below target", "at": "-1h20m"},
    {"namespace": "mobile", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/mobile-bff", "source": "horizontal-pod-autoscaler",
     "message": "New size: 3; reason: All metrics below target", "at": "-1h05m"},
]
write_yaml(F, "events.yaml", events)
