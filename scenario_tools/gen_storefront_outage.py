"""storefront-outage: api-gateway's internal TLS certificate expired 38m ago.

cert-manager has failed to renew edge/api-gateway-tls for 30 days: its DNS-01 solver
uses a Cloudflare API token that was rotated and never updated in the cluster (Error
10000: Authentication error). The CDN does not verify the origin certificate, so
browsers and mobile apps still work; every in-cluster client that verifies (SSR in
storefront-web, recommendations-service) fails the handshake. Red herring: the
storefront-web Next.js 15 upgrade 75m ago.
"""


from scenario_tools.scengen import Gen, container, pod, rel, write_yaml

g = Gen("storefront-outage", seed=11)
F = g.folder
F.mkdir(exist_ok=True)
EXP, WEB_DEPLOY = 38 * 60, 75 * 60
WEB = ["storefront-web-5kx2m", "storefront-web-8hq4t", "storefront-web-c3n7w", "storefront-web-v6p9d"]
GW = ["api-gateway-2m9qk", "api-gateway-7tx4h", "api-gateway-f8r3n"]
CAT = ["catalog-service-4wj8c", "catalog-service-g2k5s", "catalog-service-x9d1p"]
REC = ["recommendations-service-b5z7q", "recommendations-service-m8c3v"]
OLD_WEB = ["storefront-web-r2t8b", "storefront-web-y4f6h", "storefront-web-k1n5z", "storefront-web-e7s3g"]
for i, h in enumerate(WEB):
    g.pod(h, [WEB_DEPLOY - 25 * i], fmt="json")
for h in GW:
    g.pod(h, [12 * 86400], fmt="logfmt")
for h in CAT:
    g.pod(h, [5 * 86400], fmt="json")
for h in REC:
    g.pod(h, [20 * 86400], fmt="logfmt")
g.pod("cert-manager-tq4xw", [90 * 86400], fmt="json")
SLUGS = ["trail-runner-2", "merino-crew-sock", "alpine-shell-jacket", "city-backpack-22l", "ultralight-tent-2p", "thermal-mug", "down-vest", "rain-pants"]

# --- storefront-web (Next.js SSR) -------------------------------------------------------------
for i, h in enumerate(WEB):
    t = WEB_DEPLOY - 25 * i
    g.log(t, "storefront-web", "INFO", h, "▲ Next.js 15.0.3 — ready on http://0.0.0.0:3000", comp="next")
    g.log(t - 1, "storefront-web", "WARN", h, "fetch cache: GET requests are no longer cached by default in Next.js 15; set cache: 'force-cache' to opt in", comp="next")
for t in g.poisson(7200, 0, 1.4):
    h = g.pick([x for x in WEB if t <= WEB_DEPLOY - 25 * WEB.index(x)] or OLD_WEB[:1])
    if t > WEB_DEPLOY:
        h = g.pick(OLD_WEB)
    rid = "req-" + g.hexid(12)
    page = g.pick(["/p/" + g.pick(SLUGS), "/c/" + g.pick(["outdoor", "running", "travel", "sale"]), "/", "/search?q=" + g.pick(["tent", "jacket", "socks"])])
    static = page == "/"
    if t < EXP and not static and g.rng.random() < 0.85:
        g.log(t, "storefront-web", "ERROR", h, f"GET {page} 500: TypeError: fetch failed (cause: Error: certificate has expired, code CERT_HAS_EXPIRED) calling https://api-gateway.edge.svc:8443/v2/catalog",
              trace=rid, duration_ms=g.rng.randint(4, 15), comp="ssr")
    else:
        ms = g.rng.randint(90, 260)
        cached = " (ISR cache hit)" if t < EXP and not static else ""
        g.log(t, "storefront-web", "INFO", h, f"GET {page} 200 in {ms}ms{cached}", trace=rid, duration_ms=ms, comp="ssr")
        if not static and t > EXP:
            gw = g.pick(GW)
            g.log(t + ms / 2000, "api-gateway", "INFO", gw, "GET /v2/catalog 200 upstream=catalog-service client=storefront-web", trace=rid, duration_ms=ms // 3, comp="access")
            if g.rng.random() < 0.5:
                g.log(t + ms / 2500, "catalog-service", "INFO", g.pick(CAT), f"GET /products/{g.pick(SLUGS)} 200", trace=rid, duration_ms=ms // 4, comp="http")

# --- recommendations-service (Go) ---------------------------------------------------------------
for t in g.poisson(7200, 0, 0.6):
    h = g.pick(REC)
    if t < EXP:
        g.log(t, "recommendations-service", "ERROR", h, 'catalog batch lookup failed: Get "https://api-gateway.edge.svc:8443/v2/catalog/batch": tls: failed to verify certificate: x509: certificate has expired or is not yet valid',
              comp="catalog")
    else:
        g.log(t, "recommendations-service", "INFO", h, f"served {g.rng.randint(8, 24)} recommendations for session s_{g.hexid(8)} in {g.rng.randint(20, 60)}ms", comp="http")
for t in range(EXP - 90, 0, -600):
    g.log(t, "recommendations-service", "WARN", REC[0], "falling back to static best-sellers list: catalog unavailable", comp="fallback")

# --- api-gateway: public traffic via CDN keeps flowing; internal handshakes fail --------------------
for t in g.poisson(7200, 0, 0.8):
    g.log(t, "api-gateway", "INFO", g.pick(GW), f"{g.pick(['GET', 'GET', 'POST'])} {g.pick(['/v2/catalog', '/v2/cart', '/v2/search', '/v2/account'])} 200 client=cdn-edge",
          duration_ms=g.rng.randint(12, 90), comp="access")
for t in g.poisson(EXP, 0, 1.8):
    g.log(t, "api-gateway", "WARN", g.pick(GW), f"http: TLS handshake error from 10.80.{g.rng.randint(1, 3)}.{g.rng.randint(10, 90)}:{g.rng.randint(32768, 60999)}: remote error: tls: bad certificate",
          comp="tls")
for h in GW:
    for t in range(7200 - 120 * GW.index(h), 0, -1800):
        g.log(t, "api-gateway", "INFO", h, "tls: serving certificate CN=api-gateway.edge.svc (secret edge/api-gateway-tls, serial 4a:1f:9c:...:e2) reloaded from disk: unchanged", comp="tls", table=False)

# --- catalog-service: healthy, traffic drops when SSR stops reaching it ------------------------------
for t in g.poisson(7200, 0, 0.8):
    if t < EXP and g.rng.random() < 0.6:
        continue
    g.log(t, "catalog-service", "INFO", g.pick(CAT), f"GET /products/{g.pick(SLUGS)} 200", duration_ms=g.rng.randint(5, 30), comp="http")
for t in (5400, 2100):
    g.log(t, "catalog-service", "WARN", CAT[1], "price cache refresh took 2.4s (threshold 2s)", comp="cache")

# --- cert-manager: renewal has been failing for 30 days ----------------------------------------------
CH = "edge/api-gateway-tls-7xq2k-2730197261-1198361452"
for t in range(7200 - 300, 0, -1200):
    g.log(t, "cert-manager", "INFO", "cert-manager-tq4xw", "Issuing certificate as renewal was scheduled (renewBefore 720h)", comp="cert-manager.certificates-trigger")
    g.log(t - 3, "cert-manager", "INFO", "cert-manager-tq4xw", "presenting DNS01 challenge for domain api-gateway.edge.svc.corp.example via cloudflare (secret cert-manager/cloudflare-api-token)", comp="cert-manager.challenges")
    g.log(t - 4, "cert-manager", "ERROR", "cert-manager-tq4xw", 're-queuing item due to error processing: error presenting challenge: Cloudflare API error for POST "/zones/2f1c8a9e0b7d4c36/dns_records": Error 10000: Authentication error',
          comp="cert-manager.challenges")
    g.log(t - 5, "cert-manager", "ERROR", "cert-manager-tq4xw", "The certificate request has failed to complete and will be retried: order edge/api-gateway-tls-7xq2k-2730197261 is in \"errored\" state",
          comp="cert-manager.certificaterequests-issuer-acme")
g.log(EXP, "cert-manager", "WARN", "cert-manager-tq4xw", "certificate edge/api-gateway-tls is no longer valid: NotAfter has passed; still retrying issuance", comp="cert-manager.certificates-readiness")
# pod-log only: the x509 error with its exact times (the loader fills {T...} anywhere in pod logs)
for h in REC:
    for t in (EXP - 4 - 7 * REC.index(h), EXP - 300, 600 + 13 * REC.index(h), 61):
        g.log(t, "recommendations-service", "ERROR", h, "catalog batch lookup failed: tls: failed to verify certificate: x509: certificate has expired or is not yet valid: "
              f"current time {{T{rel(t)}}} is after {{T{rel(EXP)}}}", comp="catalog", table=False)
g.write()

# --- kubernetes objects ---------------------------------------------------------------------------------
pods = []
for i, h in enumerate(WEB):
    started = rel(WEB_DEPLOY - 25 * i)
    pods.append(pod(h, "storefront", "storefront-web", f"worker-1{i % 3}", started, f"10.80.{i % 3}.{20 + i}",
                    [container("web", "registry.corp.example/storefront/storefront-web:v12.4.0", started=started, ports=[3000],
                               requests={"cpu": "300m", "memory": "384Mi"}, limits={"cpu": "1", "memory": "768Mi"},
                               env={"CATALOG_API": "https://api-gateway.edge.svc:8443/v2/catalog", "NODE_EXTRA_CA_CERTS": "/etc/ssl/internal/ca.crt", "NODE_ENV": "production"},
                               liveness={"http": "/api/livez", "port": 3000, "delay": 10, "period": 10},
                               readiness={"http": "/api/readyz", "port": 3000, "delay": 5, "period": 5})],
                    usage={"cpu": f"{g.rng.randint(80, 160)}m", "memory": f"{g.rng.randint(280, 340)}Mi"}))
for i, h in enumerate(GW):
    pods.append(pod(h, "edge", "api-gateway", f"worker-1{i}", "-12d", f"10.80.{i}.{40 + i}",
                    [container("gateway", "registry.corp.example/edge/api-gateway:v3.19.2", started="-12d", ports=[8443, 9090],
                               requests={"cpu": "500m", "memory": "256Mi"}, limits={"cpu": "2", "memory": "512Mi"},
                               env={"TLS_CERT_FILE": "/etc/tls/tls.crt", "TLS_KEY_FILE": "/etc/tls/tls.key", "TLS_SECRET": "api-gateway-tls"},
                               liveness={"tcp": 8443, "period": 10}, readiness={"http": "/healthz", "port": 9090, "period": 5})],
                    usage={"cpu": "210m", "memory": "140Mi"}))
for i, h in enumerate(CAT):
    pods.append(pod(h, "storefront", "catalog-service", f"worker-1{(i + 1) % 3}", "-5d", f"10.80.{i}.{60 + i}",
                    [container("catalog", "registry.corp.example/storefront/catalog-service:v8.0.1", started="-5d", ports=[8080],
                               requests={"cpu": "250m", "memory": "512Mi"}, limits={"cpu": "1", "memory": "1Gi"},
                               readiness={"http": "/ready", "port": 8080, "period": 5})],
                    usage={"cpu": "40m", "memory": "420Mi"}))
for i, h in enumerate(REC):
    pods.append(pod(h, "storefront", "recommendations-service", f"worker-1{(i + 2) % 3}", "-20d", f"10.80.{i}.{70 + i}",
                    [container("recommendations", "registry.corp.example/storefront/recommendations-service:v1.7.3", started="-20d", ports=[8080],
                               requests={"cpu": "200m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "512Mi"},
                               env={"CATALOG_URL": "https://api-gateway.edge.svc:8443/v2/catalog/batch", "SSL_CERT_DIR": "/etc/ssl/internal"},
                               readiness={"http": "/healthz", "port": 8080, "period": 5})],
                    usage={"cpu": "30m", "memory": "120Mi"}))
for name, svc, img, port in (("cert-manager-tq4xw", "cert-manager", "quay.io/jetstack/cert-manager-controller:v1.14.4", 9402),
                             ("cert-manager-cainjector-h2v8r", "cert-manager-cainjector", "quay.io/jetstack/cert-manager-cainjector:v1.14.4", None),
                             ("cert-manager-webhook-p5l3d", "cert-manager-webhook", "quay.io/jetstack/cert-manager-webhook:v1.14.4", 10250)):
    pods.append(pod(name, "cert-manager", svc, "worker-10", "-90d", f"10.80.0.{90 + len(pods) % 9}",
                    [container(svc.replace("cert-manager-", "") if svc != "cert-manager" else "cert-manager-controller", img, started="-90d",
                               ports=[port] if port else None, requests={"cpu": "10m", "memory": "32Mi"})],
                    usage={"cpu": "3m", "memory": "38Mi"}))
pods.append(pod("blackbox-exporter-n4c6j", "monitoring", "blackbox-exporter", "worker-11", "-60d", "10.80.1.95",
                [container("blackbox-exporter", "quay.io/prometheus/blackbox-exporter:v0.25.0", started="-60d", ports=[9115])], usage={"cpu": "5m", "memory": "24Mi"}))
pods.append(pod("prometheus-server-8j3mz", "monitoring", "prometheus-server", "worker-12", "-30d", "10.80.2.96",
                [container("prometheus", "quay.io/prometheus/prometheus:v2.53.1", started="-30d", ports=[9090])], usage={"cpu": "330m", "memory": "2.7Gi"}))
write_yaml(F, "pods.yaml", pods, "# every pod is Running and Ready")

deps = [
    {"name": "storefront-web", "namespace": "storefront", "service": "storefront-web", "container": "web", "replicas": 4, "ready": 4,
     "image": "registry.corp.example/storefront/storefront-web:v12.4.0", "created": "-600d", "revision": 212},
    {"name": "catalog-service", "namespace": "storefront", "service": "catalog-service", "container": "catalog", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/storefront/catalog-service:v8.0.1", "created": "-600d", "revision": 88},
    {"name": "recommendations-service", "namespace": "storefront", "service": "recommendations-service", "container": "recommendations", "replicas": 2, "ready": 2,
     "image": "registry.corp.example/storefront/recommendations-service:v1.7.3", "created": "-300d", "revision": 19},
    {"name": "api-gateway", "namespace": "edge", "service": "api-gateway", "container": "gateway", "replicas": 3, "ready": 3,
     "image": "registry.corp.example/edge/api-gateway:v3.19.2", "created": "-700d", "revision": 64},
    {"name": "cert-manager", "namespace": "cert-manager", "service": "cert-manager", "container": "cert-manager-controller", "replicas": 1, "ready": 1,
     "image": "quay.io/jetstack/cert-manager-controller:v1.14.4", "created": "-700d", "revision": 11},
    {"name": "cert-manager-cainjector", "namespace": "cert-manager", "service": "cert-manager-cainjector", "container": "cainjector", "replicas": 1, "ready": 1,
     "image": "quay.io/jetstack/cert-manager-cainjector:v1.14.4", "created": "-700d", "revision": 11},
    {"name": "cert-manager-webhook", "namespace": "cert-manager", "service": "cert-manager-webhook", "container": "webhook", "replicas": 1, "ready": 1,
     "image": "quay.io/jetstack/cert-manager-webhook:v1.14.4", "created": "-700d", "revision": 11},
    {"name": "blackbox-exporter", "namespace": "monitoring", "service": "blackbox-exporter", "replicas": 1, "ready": 1,
     "image": "quay.io/prometheus/blackbox-exporter:v0.25.0", "created": "-400d", "revision": 3},
    {"name": "prometheus-server", "namespace": "monitoring", "service": "prometheus-server", "container": "prometheus", "replicas": 1, "ready": 1,
     "image": "quay.io/prometheus/prometheus:v2.53.1", "created": "-400d", "revision": 7},
]
write_yaml(F, "deployments.yaml", deps)

events = [
    {"namespace": "storefront", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/storefront-web", "source": "deployment-controller",
     "message": "Scaled up replica set storefront-web-7c9b5d8f64 to 4 from 3", "at": rel(WEB_DEPLOY - 75), "first": rel(WEB_DEPLOY)},
    {"namespace": "storefront", "type": "Normal", "reason": "ScalingReplicaSet", "object": "deployment/storefront-web", "source": "deployment-controller",
     "message": "Scaled down replica set storefront-web-59f4c7b8d2 to 0 from 1", "at": rel(WEB_DEPLOY - 90)},
    {"namespace": "storefront", "type": "Normal", "reason": "SuccessfulRescale", "object": "horizontalpodautoscaler/catalog-service", "source": "horizontal-pod-autoscaler",
     "message": "New size: 3; reason: All metrics below target", "at": "-25m"},
    {"namespace": "edge", "type": "Warning", "reason": "Failed", "object": "certificate/api-gateway-tls", "source": "cert-manager-certificates-issuing",
     "message": "The certificate request has failed to complete and will be retried: Failed to wait for order resource \"api-gateway-tls-7xq2k-2730197261\" to become ready: order is in \"errored\" state: Failed to present challenge",
     "at": "-16m", "first": "-1h56m", "count": 6},
    {"namespace": "edge", "type": "Warning", "reason": "PresentError", "object": "Challenge/api-gateway-tls-7xq2k-2730197261-1198361452", "source": "cert-manager-challenges",
     "message": "Error presenting challenge: Cloudflare API error for POST \"/zones/2f1c8a9e0b7d4c36/dns_records\": Error 10000: Authentication error",
     "at": "-16m", "first": "-1h56m", "count": 6},
    {"namespace": "edge", "type": "Normal", "reason": "Issuing", "object": "certificate/api-gateway-tls", "source": "cert-manager-certificates-trigger",
     "message": "Renewing certificate as renewal was scheduled (renewBefore 720h)", "at": "-16m", "first": "-1h56m", "count": 6},
    {"namespace": "edge", "type": "Warning", "reason": "Expired", "object": "certificate/api-gateway-tls", "source": "cert-manager-certificates-readiness",
     "message": "Certificate edge/api-gateway-tls has expired; secret edge/api-gateway-tls still holds the expired certificate", "at": rel(EXP)},
    {"namespace": "cert-manager", "type": "Normal", "reason": "LeaderElection", "object": "pod/cert-manager-tq4xw", "source": "cert-manager",
     "message": "cert-manager-tq4xw became leader", "at": "-90d"},
]
write_yaml(F, "events.yaml", events)
