"""login-failures: a bot floods the site, each cookieless hit creates a 24h anonymous session.

sessions-redis (maxmemory 4gb, policy volatile-ttl) fills up 40m ago and starts
evicting the keys closest to expiry first: login-flow state (CSRF, 10m TTL) and real
users' sliding 30m sessions. Logins fail with "CSRF token missing or session expired"
and signed-in users get logged out. The account-service v7.6.0 deploy 50m ago (per-form
CSRF rotation) looks guilty by timing, but the rollback to v7.5.2 20m ago changed
nothing. Bot credential-stuffing 401s are noise on top.
"""

from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("login-failures", seed=33)
F = g.folder
F.mkdir(exist_ok=True)
BOT, DEP, FULL, RB = 90 * 60, 50 * 60, 40 * 60, 20 * 60
ACC_OLD = ["account-service-4h8kt", "account-service-9c2xw", "account-service-s6m3p"]      # v7.5.2 before the deploy
ACC_V76 = ["account-service-b7q1z", "account-service-j5n8d", "account-service-x2f4r"]      # v7.6.0, rolled back
ACC = ["account-service-e3v9m", "account-service-m8k5t", "account-service-u1w6c"]          # v7.5.2 again (current)
SES = ["session-service-a4d7q", "session-service-k9t2x", "session-service-r6b3n"]
WEB = ["web-frontend-c5h2j", "web-frontend-f8p6v", "web-frontend-n3z9k", "web-frontend-t7w4b", "web-frontend-q2g8m", "web-frontend-y6r1s"]
WEB_NEW = {"web-frontend-q2g8m": 80 * 60, "web-frontend-y6r1s": 80 * 60 - 20}
for i, h in enumerate(ACC):
    g.pod(h, [RB - 20 * i])
for h in SES:
    g.pod(h, [12 * 86400], fmt="logfmt")
for h in WEB:
    g.pod(h, [WEB_NEW.get(h, 3 * 86400)], fmt="json")
g.pod("sessions-redis-0", [60 * 86400], fmt="redis")
g.pod("sessions-redis-1", [60 * 86400], fmt="redis")


def acc_hosts(t):
    if t > DEP:
        return ACC_OLD
    if t > RB:
        return ACC_V76
    return [h for i, h in enumerate(ACC) if t <= RB - 20 * i] or ACC_V76


def web_hosts(t):
    return [h for h in WEB if t <= WEB_NEW.get(h, 10 ** 9)]


# --- deploy and rollback start-up lines -------------------------------------------------------
for i, h in enumerate(ACC_V76):
    g.log(DEP - 20 * i, "account-service", "INFO", h, "account-service v7.6.0 started on :8080", comp="main")
    g.log(DEP - 20 * i - 1, "account-service", "INFO", h, "CSRF: per-form token rotation enabled (token TTL 10m, stored in session)", comp="csrf")
for i, h in enumerate(ACC):
    g.log(RB - 20 * i, "account-service", "INFO", h, "account-service v7.5.2 started on :8080", comp="main")
    g.log(RB - 20 * i - 1, "account-service", "INFO", h, "CSRF: per-session token (token TTL 10m, stored in session)", comp="csrf")
for i, h in enumerate(ACC_OLD):
    g.log(DEP - 20 * i - 5, "account-service", "INFO", h, "SIGTERM: shutting down", comp="main")

# --- real users: browse, log in ----------------------------------------------------------------
for t in g.poisson(7200, 0, 1.6):
    sid = "s_" + g.hexid(12)
    w = g.pick(web_hosts(t))
    a = g.pick(acc_hosts(t))
    s = g.pick(SES)
    evicting = t < FULL
    kind = g.rng.random()
    if kind < 0.45:  # login
        if evicting and g.rng.random() < 0.55:
            g.log(t, "session-service", "WARN", s, f"session {sid} not found (expired or evicted)", trace=sid, comp="store")
            g.log(t - 0.1, "account-service", "WARN", a, f"login flow state not found for {sid} (expired or evicted)", trace=sid, comp="login")
            g.log(t - 0.1, "account-service", "ERROR", a, "POST /login 403: CSRF token missing or session expired", trace=sid, duration_ms=g.rng.randint(3, 9), comp="http")
            g.log(t - 0.2, "web-frontend", "WARN", w, "login failed: 403 session expired; re-rendering login form", trace=sid, comp="auth")
        else:
            g.log(t, "session-service", "INFO", s, f"GET /sessions/{sid} 200", trace=sid, duration_ms=g.rng.randint(1, 4), comp="http")
            g.log(t - 0.1, "account-service", "INFO", a, f"POST /login 302 user=u_{g.hexid(8)} mfa={g.pick(['false', 'false', 'totp'])}", trace=sid, duration_ms=g.rng.randint(60, 140), comp="http")
    elif kind < 0.85:  # signed-in page view
        if evicting and g.rng.random() < 0.3:
            g.log(t, "session-service", "WARN", s, f"session {sid} not found (expired or evicted)", trace=sid, comp="store")
            g.log(t - 0.1, "web-frontend", "WARN", w, f"GET {g.pick(['/account', '/orders', '/cart', '/checkout'])} 302 -> /login: session lost (user was signed in 4m ago)", trace=sid, comp="auth")
        else:
            g.log(t, "session-service", "INFO", s, f"GET /sessions/{sid} 200", trace=sid, duration_ms=g.rng.randint(1, 4), comp="http")
            g.log(t - 0.1, "web-frontend", "INFO", w, f"GET {g.pick(['/account', '/orders', '/cart', '/checkout', '/'])} 200", trace=sid, duration_ms=g.rng.randint(40, 180), comp="http")
    else:
        g.log(t, "web-frontend", "INFO", w, f"GET {g.pick(['/', '/deals', '/help', '/c/shoes'])} 200 (new anonymous session)", duration_ms=g.rng.randint(40, 160), comp="http")

# --- the bot: cookieless GET /login + credential stuffing POSTs ---------------------------------
for t in g.poisson(BOT, 0, 1.1):
    w = g.pick(web_hosts(t))
    ip = f"185.220.{g.rng.randint(100, 103)}.{g.rng.randint(2, 250)}"
    g.log(t, "web-frontend", "INFO", w, f"GET /login 200 (new anonymous session) ua=python-requests/2.31.0 ip={ip}", duration_ms=g.rng.randint(20, 60), comp="http")
for t in g.poisson(BOT, 0, 0.8):
    a = g.pick(acc_hosts(t))
    if t < FULL and g.rng.random() < 0.5:
        g.log(t, "account-service", "ERROR", a, "POST /login 403: CSRF token missing or session expired", duration_ms=4, comp="http")
    else:
        g.log(t, "account-service", "WARN", a, f"POST /login 401 invalid credentials for user {g.hexid(6)}@{g.pick(['gmail.com', 'yahoo.com', 'outlook.com'])} ip=185.220.{g.rng.randint(100, 103)}.{g.rng.randint(2, 250)}",
              duration_ms=g.rng.randint(80, 120), comp="http")
for t in range(7200 - 60, 0, -300):
    anon = 880 + g.rng.randint(-60, 60) if t > BOT else 38000 + g.rng.randint(-3000, 4000)
    g.log(t, "web-frontend", "INFO", g.pick(web_hosts(t)), f"sessions: created_anon={anon:,}/min created_auth={g.rng.randint(250, 330)}/min", comp="stats")

# --- session-service: the Redis INFO poller -----------------------------------------------------
for t in range(7200 - 10, 0, -300):
    if t > BOT:
        mem, keys, ev = 1.38 + g.rng.uniform(-0.02, 0.02), 2.1 + g.rng.uniform(-0.05, 0.05), 0
    elif t > FULL:
        frac = (BOT - t) / (BOT - FULL)
        mem, keys, ev = 1.4 + 2.58 * frac, 2.2 + 27.5 * frac, 0
    else:
        mem, keys, ev = 4.0, 29.6 + g.rng.uniform(0, 1.2), g.rng.randint(47000, 56000)
    lvl = "WARN" if ev else "INFO"
    g.log(t, "session-service", lvl, "session-service-a4d7q",
          f"sessions-redis: used_memory={mem:.2f}G maxmemory=4.00G keys={keys:.1f}M evicted_keys+={ev:,}/min expired_keys+={g.rng.randint(180, 260)}/min policy=volatile-ttl",
          comp="redis-poller")
for t in g.poisson(7200, 0, 0.3):
    g.log(t, "session-service", "INFO", g.pick(SES), "POST /sessions 201 anonymous=true ttl=86400s", duration_ms=g.rng.randint(1, 3), comp="http")

# --- redis (pod logs only) ----------------------------------------------------------------------
for t in range(7200 - 90, 0, -600):
    g.log(t, "redis", "INFO", "sessions-redis-0", "Background saving started by pid " + str(30000 + t % 5000), table=False)
    g.log(t - 9 - (0 if t > BOT else int((BOT - max(t, FULL)) / 120)), "redis", "INFO", "sessions-redis-0", "DB saved on disk", comp="C", table=False)
    g.log(t - 10 - (0 if t > BOT else int((BOT - max(t, FULL)) / 120)), "redis", "INFO", "sessions-redis-0", "Background saving terminated with success", table=False)
g.log(FULL + 30, "redis", "WARN", "sessions-redis-0", "WARNING: fork took 412 ms; latency spike (used_memory 3.9G)", table=False)
for t in range(7200 - 30, 0, -1800):
    g.log(t, "redis", "INFO", "sessions-redis-1", "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.", comp="S", table=False)
g.write()

# --- kubernetes objects ---------------------------------------------------------------------------
pods = []
for i, h in enumerate(ACC):
    st = rel(RB - 20 * i)
    pods.append(pod(h, "accounts", "account-service", f"worker-4{i}", st, f"10.110.{i}.{20 + i}",
                    [container("account", "registry.corp.example/accounts/account-service:v7.5.2", started=st, ports=[8080],
                               requests={"cpu": "300m", "memory": "384Mi"}, limits={"cpu": "1", "memory": "768Mi"},
                               env={"SESSION_SERVICE_URL": "http://session-service.accounts.svc:8080", "CSRF_TOKEN_TTL": "10m"},
                               readiness={"http": "/ready", "port": 8080, "period": 5}, liveness={"http": "/live", "port": 8080, "delay": 10, "period": 10})],
                    usage={"cpu": f"{g.rng.randint(200, 320)}m", "memory": f"{g.rng.randint(300, 360)}Mi"}))
for i, h in enumerate(SES):
    pods.append(pod(h, "accounts", "session-service", f"worker-4{(i + 1) % 3}", "-12d", f"10.110.{i}.{30 + i}",
                    [container("session", "registry.corp.example/accounts/session-service:v3.4.1", started="-12d", ports=[8080],
                               requests={"cpu": "200m", "memory": "128Mi"}, limits={"cpu": "1", "memory": "256Mi"},
                               env={"REDIS_URL": "redis://sessions-redis-0.sessions-redis:6379/0", "ANON_SESSION_TTL": "24h", "AUTH_SESSION_TTL": "30m (sliding)"},
                               readiness={"http": "/ready", "port": 8080, "period": 5})],
                    usage={"cpu": f"{g.rng.randint(350, 480)}m", "memory": f"{g.rng.randint(90, 120)}Mi"}))
for i, h in enumerate(WEB):
    created = rel(WEB_NEW[h]) if h in WEB_NEW else "-3d"
    pods.append(pod(h, "web", "web-frontend", f"worker-4{i % 3}", created, f"10.110.{i % 3}.{50 + i}",
                    [container("web", "registry.corp.example/web/web-frontend:v31.2.0", started=created, ports=[3000],
                               requests={"cpu": "300m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "512Mi"},
                               readiness={"http": "/healthz", "port": 3000, "period": 5})],
                    usage={"cpu": f"{g.rng.randint(500, 800)}m", "memory": f"{g.rng.randint(200, 260)}Mi"}))
for i in range(2):
    pods.append(pod(f"sessions-redis-{i}", "accounts", "sessions-redis", f"worker-4{i}", "-60d", f"10.110.{i}.{10 + i}",
                    [container("redis", "redis:7.2.4", started="-60d", ports=[6379], requests={"cpu": "500m", "memory": "5Gi"}, limits={"memory": "5Gi"},
                               env={"REDIS_ARGS": "--maxmemory 4gb --maxmemory-policy volatile-ttl --save 600 1000" + (" --replicaof sessions-redis-0.sessions-redis 6379" if i else "")},
                               liveness={"tcp": 6379, "period": 10}),
                     container("exporter", "oliver006/redis_exporter:v1.62.0", started="-60d", ports=[9121])],
                    usage={"cpu": "620m" if i == 0 else "180m", "memory": "4.3Gi" if i == 0 else "4.2Gi"}))
pods.append(pod("prometheus-server-3x9ld", "monitoring", "prometheus-server", "worker-42", "-30d", "10.110.2.90",
                [container("prometheus", "quay.io/prometheus/prometheus:v2.53.1", started="-30d", ports=[9090])], usage={"cpu": "310m", "memory": "2.6Gi"}))
write_yaml(F, "pods.yaml", pods, "# account-service pods are the rolled-back v7.5.2 (20m old); everything is Running and Ready")
deps = [
    {"name": "account-service", "namespace": "accounts", "service": "account-service", "container": "account", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/accounts/account-service:v7.5.2", "created": "-900d", "revision": 178},
    {"name": "session-service", "namespace": "accounts", "service": "session-service", "container": "session", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/accounts/session-service:v3.4.1", "created": "-900d", "revision": 52},
    {"name": "web-frontend", "namespace": "web", "service": "web-frontend", "container": "web", "replicas": 6, "ready": 6,
     "image": "registry.corp.example/web/web-frontend:v31.2.0", "created": "-900d", "revision": 340},
    {"name": "prometheus-server", "namespace": "monitoring", "service": "prometheus-server", "container": "prometheus", "replicas": 1, "ready": 1,
     "image": "quay.io/prometheus/prometheus:v2.53.1", "created": "-400d", "revision": 7},
]
write_yaml(F, "deployments.yaml", deps)
events = [
    {"namespace": "accounts", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/account-service", "source": "deployment-controller",
     "message": "Scaled up replica set account-service-66d9b7c5f8 to 3 from 2", "at": rel(DEP - 40), "first": rel(DEP)},
    {"namespace": "accounts", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/account-service", "source": "deployment-controller",
     "message": "Scaled down replica set account-service-7c4f8d9b61 to 0 from 1", "at": rel(DEP - 50)},
    {"namespace": "accounts", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/account-service", "source": "deployment-controller",
     "message": "Scaled up replica set account-service-7c4f8d9b61 to 3 from 2", "at": rel(RB - 40), "first": rel(RB)},
    {"namespace": "accounts", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/account-service", "source": "deployment-controller",
     "message": "Scaled down replica set account-service-66d9b7c5f8 to 0 from 1", "at": rel(RB - 50)},
    {"namespace": "accounts", "type": "Normal", "reason": "DeploymentRollback", "object": "deployment/account-service", "source": "deployment-controller",
     "message": "Rolled back deployment \"account-service\" to revision 176", "at": rel(RB + 5)},
    {"namespace": "web", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/web-frontend", "source": "horizontal-pod-autoscaler",
     "message": "New size: 6; reason: cpu resource utilization (percentage of request) above target", "at": rel(80 * 60 + 2)},
    {"namespace": "web", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/web-frontend", "source": "deployment-controller",
     "message": "Scaled up replica set web-frontend-5f7c9d8b46 to 6 from 4", "at": rel(80 * 60 + 1)},
]
write_yaml(F, "events.yaml", events)
