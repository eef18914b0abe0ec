"""partner-webhooks: a CoreDNS Corefile change forwards external names to unreachable resolvers.

42m ago the platform team changed the coredns ConfigMap: `forward . /etc/resolv.conf`
became `forward . 10.20.0.53 10.20.0.54` (new corporate resolvers, so corp zones
resolve). Those resolvers are not reachable from the pod network yet (firewall change
pending). CoreDNS reloads without a restart; its pods stay Ready; cluster.local names
still resolve (kubernetes plugin) but every external lookup times out upstream and
returns SERVFAIL. Webhook deliveries to every partner and the FX-rate sync fail.
Red herrings: "the partners are down", webhook-dispatcher's v2.8.0 (HTTP/2) deploy 3h
ago, and the growing delivery backlog.
"""

from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("partner-webhooks", seed=42)
F = g.folder
F.mkdir(exist_ok=True)
CHG, WD_DEPLOY = 42 * 60, 3 * 3600
WD = ["webhook-dispatcher-4n7xq", "webhook-dispatcher-b2k9m", "webhook-dispatcher-h6t3w"]
FX = "fx-rates-sync-p8c5v"
PA = ["partner-api-d4w8s", "partner-api-r7m2k"]
DNS = ["coredns-7xk2p", "coredns-m9q4d"]
PARTNERS = [("partner-a", "hooks.partner-a.example"), ("shipco", "api.shipco.example"), ("marketly", "webhooks.marketly.example"),
            ("taxbridge", "events.taxbridge.example"), ("crm-sync", "in.crm-sync.example")]
for i, h in enumerate(WD):
    g.pod(h, [WD_DEPLOY - 30 * i], fmt="logfmt")
g.pod(FX, [20 * 86400])
for h in PA:
    g.pod(h, [15 * 86400], fmt="json")
for h in DNS:
    g.pod(h, [45 * 86400], fmt="raw")

# --- webhook deliveries -------------------------------------------------------------------------
for h in WD:
    t = WD_DEPLOY - 30 * WD.index(h)
    g.log(t, "webhook-dispatcher", "INFO", h, "webhook-dispatcher v2.8.0 starting (http2=true, workers=32, max_attempts=8)", comp="main")
for t in g.poisson(7200, 0, 2.0):
    h = g.pick(WD)
    name, host = g.pick(PARTNERS)
    evt = "evt_" + g.hexid(10)
    if t > CHG:
        ms = g.rng.randint(90, 450)
        g.log(t, "webhook-dispatcher", "INFO", h, f"delivered {evt} to {name} (https://{host}) status=200 in {ms}ms attempt=1", trace=evt, duration_ms=ms, comp="deliver")
    else:
        att = g.rng.randint(1, 8)
        err = (f'Post "https://{host}/v1/events": dial tcp: lookup {host} on 10.96.0.10:53: server misbehaving' if g.rng.random() < 0.8
               else f'Post "https://{host}/v1/events": dial tcp: lookup {host} on 10.96.0.10:53: read udp 10.120.{WD.index(h)}.{31 + WD.index(h)}:{g.rng.randint(33000, 60000)}->10.96.0.10:53: i/o timeout')
        g.log(t, "webhook-dispatcher", "ERROR", h, f"delivery failed for {evt} to {name}: {err} (attempt {att}/8, retry in {min(2 ** att, 300)}s)",
              trace=evt, duration_ms=g.rng.randint(2000, 4100), comp="deliver")
for t in g.poisson(7200, 0, 0.4):
    g.log(t, "webhook-dispatcher", "INFO", g.pick(WD), "refreshed partner endpoints from http://partner-api.integrations.svc.cluster.local:8080/internal/endpoints (23 partners) in 9ms", comp="config")
for t in range(CHG - 240, 0, -300):
    g.log(t, "webhook-dispatcher", "WARN", WD[0], f"delivery queue backlog {int((CHG - t) * 2.1):,} events (oldest {(CHG - t) // 60}m); 0/5 partners healthy", comp="queue")
for t in range(7200 - 100, CHG, -900):
    g.log(t, "webhook-dispatcher", "INFO", WD[0], "delivery queue backlog 0 events; 5/5 partners healthy", comp="queue")

# --- fx-rates-sync -------------------------------------------------------------------------------
for t in range(7200 - 45, 0, -300):
    if t > CHG:
        g.log(t, "fx-rates-sync", "INFO", FX, f"Fetched 168 rates from https://api.fxprovider.example/v3/latest in {g.rng.randint(180, 320)}ms; published to fx.rates", comp="FxSyncJob")
    else:
        g.log(t, "fx-rates-sync", "ERROR", FX, "Rate fetch failed: java.net.UnknownHostException: api.fxprovider.example: Temporary failure in name resolution", comp="FxSyncJob",
              cont=["java.net.UnknownHostException: api.fxprovider.example: Temporary failure in name resolution",
                    "\tat java.base/java.net.Inet6AddressImpl.lookupAllHostAddr(Native Method)",
                    "\tat java.base/java.net.InetAddress$PlatformResolver.lookupByName(InetAddress.java:1211)",
                    "\tat java.base/java.net.InetAddress.getAllByName0(InetAddress.java:1828)",
                    "\tat java.net.http/jdk.internal.net.http.PlainHttpConnection.connect(PlainHttpConnection.java:179)"])
        if t < CHG - 1500:
            g.log(t - 1, "fx-rates-sync", "WARN", FX, f"Serving stale rates: last successful fetch {(CHG - t) // 60 + 3}m ago (max age 30m)", comp="FxSyncJob")
for t in range(7200 - 200, 0, -1800):
    g.log(t, "fx-rates-sync", "INFO", FX, "DB pool stats: fx-db.integrations.svc.cluster.local active=1 idle=4", comp="Hikari")

# --- partner-api (internal only; fine) --------------------------------------------------------------
for t in g.poisson(7200, 0, 0.8):
    g.log(t, "partner-api", "INFO", g.pick(PA), f"{g.pick(['GET /v1/orders', 'GET /v1/shipments', 'POST /v1/inventory', 'GET /internal/endpoints'])} 200", duration_ms=g.rng.randint(6, 40), comp="http")
for t in (5600, 2900, 800):
    g.log(t, "partner-api", "WARN", g.pick(PA), "client marketly exceeded 80% of its rate limit (4,100/5,000 per hour)", comp="ratelimit")

# --- coredns -----------------------------------------------------------------------------------------
for h in DNS:
    for t in range(7200 - 13 * DNS.index(h), CHG, -1800):
        g.log(t, "coredns", "INFO", h, "{T} [INFO] plugin/reload: Running configuration SHA512 = 3b8e41f0c2...d91a (unchanged)", table=False)
    g.log(CHG - 15 * DNS.index(h), "coredns", "INFO", h, "{T} [INFO] Reloading", table=True)
    g.log(CHG - 15 * DNS.index(h) - 1, "coredns", "INFO", h, "{T} [INFO] plugin/reload: Running configuration SHA512 = 7c04aa9e51...40bf", table=True)
    g.log(CHG - 15 * DNS.index(h) - 1, "coredns", "INFO", h, "{T} [INFO] Reloading complete", table=True)
for t in g.poisson(CHG - 20, 0, 2.2):
    h = g.pick(DNS)
    name = g.pick([p[1] for p in PARTNERS] + ["api.fxprovider.example"])
    up = g.pick(["10.20.0.53", "10.20.0.54"])
    g.log(t, "coredns", "ERROR", h, f"{{T}} [ERROR] plugin/errors: 2 {name}. {g.pick(['A', 'AAAA'])}: read udp 10.120.9.{11 + DNS.index(h)}:{g.rng.randint(33000, 60000)}->{up}:53: i/o timeout")
g.write()
# the table keeps CoreDNS lines without the placeholder
import json
rows = [json.loads(x) for x in (F / "logs.jsonl").read_text().splitlines()]
for r in rows:
    r["message"] = r["message"].replace("{T} ", "")
(F / "logs.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))

# --- kubernetes objects --------------------------------------------------------------------------------
pods = []
for i, h in enumerate(WD):
    st = rel(WD_DEPLOY - 30 * i)
    pods.append(pod(h, "integrations", "webhook-dispatcher", f"worker-5{i}", st, f"10.120.{i}.{31 + i}",
                    [container("dispatcher", "registry.corp.example/integrations/webhook-dispatcher:v2.8.0", started=st, ports=[8080],
                               requests={"cpu": "250m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "512Mi"},
                               env={"PARTNER_API_URL": "http://partner-api.integrations.svc.cluster.local:8080", "HTTP2": "true", "DELIVERY_TIMEOUT": "10s"},
                               readiness={"http": "/readyz", "port": 8080, "period": 5})],
                    usage={"cpu": f"{g.rng.randint(90, 150)}m", "memory": f"{g.rng.randint(300, 380)}Mi"}))
pods.append(pod(FX, "integrations", "fx-rates-sync", "worker-51", "-20d", "10.120.1.40",
                [container("fx-sync", "registry.corp.example/integrations/fx-rates-sync:v1.3.2", started="-20d",
                           requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "500m", "memory": "512Mi"},
                           env={"FX_PROVIDER_URL": "https://api.fxprovider.example/v3/latest", "SCHEDULE": "every 5m"})],
                usage={"cpu": "12m", "memory": "210Mi"}))
for i, h in enumerate(PA):
    pods.append(pod(h, "integrations", "partner-api", f"worker-5{(i + 1) % 3}", "-15d", f"10.120.{i}.{50 + i}",
                    [container("api", "registry.corp.example/integrations/partner-api:v5.9.0", started="-15d", ports=[8080],
                               requests={"cpu": "200m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "512Mi"},
                               readiness={"http": "/health", "port": 8080, "period": 5})],
                    usage={"cpu": "70m", "memory": "190Mi"}))
for i, h in enumerate(DNS):
    pods.append(pod(h, "kube-system", "coredns", f"worker-5{i}", "-45d", f"10.120.9.{11 + i}",
                    [container("coredns", "registry.k8s.io/coredns/coredns:v1.11.1", started="-45d", ports=[53, 9153],
                               requests={"cpu": "100m", "memory": "70Mi"}, limits={"memory": "170Mi"},
                               liveness={"http": "/health", "port": 8080, "delay": 60, "timeout": 5, "period": 10, "failure_threshold": 5},
                               readiness={"http": "/ready", "port": 8181, "period": 10})],
                    usage={"cpu": "140m", "memory": "48Mi"}))
for i, h in enumerate(["kube-proxy-6fz2n", "kube-proxy-k9w4c", "kube-proxy-t3h8r"]):
    pods.append(pod(h, "kube-system", "kube-proxy", f"worker-5{i}", "-45d", f"10.0.5.{10 + i}",
                    [container("kube-proxy", "registry.k8s.io/kube-proxy:v1.29.6", started="-45d")], usage={"cpu": "6m", "memory": "22Mi"}))
pods.append(pod("prometheus-server-9k4rw", "monitoring", "prometheus-server", "worker-52", "-30d", "10.120.2.90",
                [container("prometheus", "quay.io/prometheus/prometheus:v2.53.1", started="-30d", ports=[9090])], usage={"cpu": "300m", "memory": "2.4Gi"}))
write_yaml(F, "pods.yaml", pods, "# every pod is Running and Ready, CoreDNS included")
deps = [
    {"name": "webhook-dispatcher", "namespace": "integrations", "service": "webhook-dispatcher", "container": "dispatcher", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/integrations/webhook-dispatcher:v2.8.0", "created": "-600d", "revision": 61},
    {"name": "fx-rates-sync", "namespace": "integrations", "service": "fx-rates-sync", "container": "fx-sync", "replicas": 1, "ready": 1,
     "image": "registry.corp.example/integrations/fx-rates-sync:v1.3.2", "created": "-400d", "revision": 12},
    {"name": "partner-api", "namespace": "integrations", "service": "partner-api", "container": "api", "replicas": 2, "ready": 2,
     "image": "registry.corp.example/integrations/partner-api:v5.9.0", "created": "-700d", "revision": 96},
    {"name": "coredns", "namespace": "kube-system", "service": "coredns", "replicas": 2, "ready": 2,
     "image": "registry.k8s.io/coredns/coredns:v1.11.1", "created": "-700d", "revision": 8},
    {"name": "prometheus-server", "namespace": "monitoring", "service": "prometheus-server", "container": "prometheus", "replicas": 1, "ready": 1,
     "image": "quay.io/prometheus/prometheus:v2.53.1", "created": "-400d", "revision": 7},
]
write_yaml(F, "deployments.yaml", deps)
events = [
    {"namespace": "integrations", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/webhook-dispatcher", "source": "deployment-controller",
     "message": "Scaled up replica set webhook-dispatcher-8d5f6c7b94 to 3 from 2", "at": rel(WD_DEPLOY - 60), "first": rel(WD_DEPLOY)},
    {"namespace": "integrations", "type": "Normal", "reason": "SuccessfulCreate", "object": "job/partner-report-29417460", "source": "job-controller",
     "message": "Created pod: partner-report-29417460-9xk2d", "at": "-1h10m"},
    {"namespace": "integrations", "type": "Normal", "reason": "Completed", "object": "job/partner-report-29417460", "source": "job-controller",
     "message": "Job completed", "at": "-1h08m"},
    {"namespace": "kube-system", "type": "Normal", "reason": "LeaderElection", "object": "configmap/cluster-autoscaler-status", "source": "cluster-autoscaler",
     "message": "cluster-autoscaler-7d9f4 became leader", "at": "-6h"},
    {"namespace": "kube-system", "type": "Normal", "reason": "ScaleDown", "object": "node/worker-55", "source": "cluster-autoscaler",
     "message": "node removed by cluster autoscaler", "at": "-2h40m"},
]
write_yaml(F, "events.yaml", events)
