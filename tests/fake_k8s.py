"""A local HTTP server that answers like the Kubernetes API server (reads, and the
deployment PATCHes the write tools send).

The real `kubernetes` client talks to it through a kubeconfig, so tests exercise the
client's URL building, auth header, query parameters, JSON decoding and error
statuses, not a mock of our own code. Objects are the API's JSON; errors are
`Status` objects with the codes the real server uses (404 for a missing pod, 400
for a missing previous container).
"""

from __future__ import annotations

import ipaddress
import json
import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.http_reply import reply


@dataclass
class ClusterData:
    pods: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    replicasets: list[dict[str, Any]] = field(default_factory=list)
    pod_logs: dict[tuple[str, str, str, bool], str] = field(default_factory=dict)  # (ns, pod, container, previous)
    usage: dict[tuple[str, str], dict[str, str]] | None = None  # None: no metrics-server
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # other kinds (kinds.KINDS), by kind
    volume_usage: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (ns, pvc) -> kubelet stats

    @classmethod
    def from_scenario(cls, sc: Any) -> "ClusterData":
        return cls(pods=sc.pods, events=sc.events, deployments=sc.deployments, pod_logs=sc.pod_logs, usage=sc.pod_usage,
                   objects={k: v for k, v in getattr(sc, "objects", {}).items() if k != "ReplicaSet"},
                   replicasets=getattr(sc, "objects", {}).get("ReplicaSet", []),
                   volume_usage=dict(getattr(sc, "volume_usage", {})))


def _status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "details": details or {}, "code": code}


ROUTES = [
    ("version", re.compile(r"^/version/?$")),
    ("pod_log", re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods/(?P<name>[^/]+)/log$")),
    ("pod", re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods/(?P<name>[^/]+)$")),
    ("pods", re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods$")),
    ("events", re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/events$")),
    ("deployments", re.compile(r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/deployments$")),
    ("deployment", re.compile(r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/deployments/(?P<name>[^/]+)$")),
    ("replicasets", re.compile(r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/replicasets$")),
    ("metrics", re.compile(r"^/apis/metrics.k8s.io/v1beta1/namespaces/(?P<ns>[^/]+)/pods$")),
    ("metrics_all", re.compile(r"^/apis/metrics.k8s.io/v1beta1/pods$")),
    ("node_stats", re.compile(r"^/api/v1/nodes/(?P<name>[^/]+)/proxy/stats(?:/|%2F)summary$")),
    # Every other kind of kinds.KINDS: /api/v1[/namespaces/ns]/plural[/name], /apis/group/version/...
    ("object", re.compile(r"^(?P<group>/api/v1|/apis/[^/]+/[^/]+)(?:/namespaces/(?P<ns>[^/]+))?/(?P<plural>[a-z]+)(?:/(?P<name>[^/]+))?$")),
]


def self_signed_cert(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA), and its key: (cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes")])
    now = datetime.now(timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class FakeKubeAPI:
    """`with FakeKubeAPI(data) as api:` serves on 127.0.0.1:<random port>."""

    def __init__(self, data: ClusterData, token: str = "test-token", tls: tuple[Path, Path] | None = None):
        self.data = data
        self.token = token
        self.requests: list[str] = []  # path?query of every request, for assertions
        # PATCH: the change is applied at once, the answer sent `patch_delay` seconds later (as an
        # overloaded API server or a slow admission webhook does); `patched` is set on arrival.
        self.patch_delay = 0.0
        self.patched = threading.Event()
        # Watches: every change made through put()/delete() gets the next resourceVersion and is
        # kept, so a watch from version N replays what came after N; compact() forgets the past
        # the way etcd compaction does, and a watch from before it gets 410 Gone.
        self.rv = 1
        self.changes: list[tuple[int, str, str | None, str, dict[str, Any]]] = []  # (rv, kind, ns, type, obj)
        self.compacted = 0
        self.changed = threading.Condition()
        self.closing = False
        self.watches = 0  # watch requests served, for assertions
        self.open_watches = 0  # watch requests being served now
        self.forbidden: set[str] = set()  # paths RBAC refuses (403), e.g. "/api/v1/pods" for namespace-scoped credentials
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake.requests.append(self.path)
                scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
                if scheme.lower() != "bearer" or credentials != fake.token:  # the scheme is case-insensitive
                    return self._json(401, _status(401, "Unauthorized", "Unauthorized"))
                url = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                if url.path in fake.forbidden:
                    return self._json(403, _status(403, "Forbidden", f'cannot list resource at the cluster scope ({url.path})'))
                if query.get("watch") in ("true", "1"):
                    return fake._serve_watch(self, url.path, query)
                for name, pattern in ROUTES:
                    m = pattern.match(url.path)
                    if m:
                        code, body = getattr(fake, "_" + name)(query, **m.groupdict())
                        if isinstance(body, str):
                            return self._send(code, body.encode(), "text/plain")
                        return self._json(code, body)
                self._json(404, _status(404, "NotFound", "the server could not find the requested resource"))

            def do_PATCH(self) -> None:  # noqa: N802
                fake.requests.append("PATCH " + self.path)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
                if scheme.lower() != "bearer" or credentials != fake.token:
                    return self._json(401, _status(401, "Unauthorized", "Unauthorized"))
                m = re.match(r"^/apis/apps/v1/namespaces/(?P<ns>[^/]+)/deployments/(?P<name>[^/]+)(?P<scale>/scale)?$", urlsplit(self.path).path)
                dep = fake._find_deployment(m["ns"], m["name"]) if m else None
                if dep is None:
                    return self._json(404, _status(404, "NotFound", "deployments not found"))
                if m["scale"]:
                    dep["spec"]["replicas"] = body["spec"]["replicas"]
                    answer = {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": m["name"], "namespace": m["ns"]},
                              "spec": {"replicas": dep["spec"]["replicas"]}, "status": {"replicas": dep["spec"]["replicas"]}}
                else:
                    _merge(dep, body)
                    answer = dep
                fake.patched.set()
                fake._record("Deployment", dep)  # watchers of deployments see the change
                time.sleep(fake.patch_delay)
                try:
                    self._json(200, answer)
                except OSError:  # the client gave up waiting
                    pass

            def _json(self, code: int, body: Any) -> None:
                reply(self, code, body)

            def _send(self, code: int, payload: bytes, ctype: str) -> None:
                reply(self, code, payload, ctype)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        scheme = "http"
        if tls is not None:  # serve HTTPS with (cert, key), as a real API server does
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*map(str, tls))
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> "FakeKubeAPI":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        with self.changed:
            self.closing = True
            self.changed.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()

    # changes and watches ------------------------------------------------------------
    def put(self, kind: str, obj: dict[str, Any]) -> None:
        """Add or replace an object (by namespace and name) as a controller would; watchers see it."""
        objs = self._objects_of(kind) if kind in ("Pod", "Event", "Deployment", "ReplicaSet") else self.data.objects.setdefault(kind, [])
        meta = obj["metadata"]
        with self.changed:
            self.rv += 1
            meta["resourceVersion"] = str(self.rv)
            for i, o in enumerate(objs):
                if o["metadata"]["name"] == meta["name"] and o["metadata"].get("namespace") == meta.get("namespace"):
                    objs[i] = obj
                    kind_of_change = "MODIFIED"
                    break
            else:
                objs.append(obj)
                kind_of_change = "ADDED"
            self.changes.append((self.rv, kind, meta.get("namespace"), kind_of_change, obj))
            self.changed.notify_all()

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        objs = self._objects_of(kind) if kind in ("Pod", "Event", "Deployment", "ReplicaSet") else self.data.objects.setdefault(kind, [])
        with self.changed:
            for i, o in enumerate(objs):
                if o["metadata"]["name"] == name and o["metadata"].get("namespace") == namespace:
                    self.rv += 1
                    gone = objs.pop(i)
                    gone["metadata"]["resourceVersion"] = str(self.rv)
                    self.changes.append((self.rv, kind, namespace, "DELETED", gone))
                    self.changed.notify_all()
                    return
        raise KeyError(f"{kind} {namespace}/{name}")

    def _record(self, kind: str, obj: dict[str, Any]) -> None:
        with self.changed:
            self.rv += 1
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.changes.append((self.rv, kind, obj["metadata"].get("namespace"), "MODIFIED", obj))
            self.changed.notify_all()

    def compact(self) -> None:
        """Forget the change history: watches from an older resourceVersion now get 410 Gone."""
        with self.changed:
            self.rv += 1
            self.compacted = self.rv
            self.changes.clear()
            self.changed.notify_all()

    def _serve_watch(self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, str]) -> None:
        """A watch as the API server streams it: chunked JSON lines {"type", "object"}, ending at
        timeoutSeconds; an ERROR event with a 410 Status when the asked version is compacted away."""
        from sre_mcp.backends.kinds import KINDS

        m = ROUTES[-1][1].match(path)
        kind = m and next((k for k in KINDS.values() if k.plural == m["plural"] and k.group_path == m["group"]), None)
        if kind is None:
            return reply(handler, 404, _status(404, "NotFound", "the server could not find the requested resource"))
        ns = m["ns"]
        pos = int(query.get("resourceVersion") or 0)
        deadline = time.monotonic() + float(query.get("timeoutSeconds") or 1800)
        self.watches += 1
        self.open_watches += 1
        handler.protocol_version = "HTTP/1.1"  # chunked transfer: the client reads events as they come
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

        def send(event: dict[str, Any]) -> None:
            data = (json.dumps(event) + "\n").encode()
            handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            handler.wfile.flush()

        try:
            while not self.closing and time.monotonic() < deadline:
                with self.changed:
                    if pos < self.compacted:
                        send({"type": "ERROR", "object": _status(410, "Expired", f"too old resource version: {pos} ({self.compacted})")})
                        break
                    events = [c for c in self.changes if c[0] > pos and c[1] == kind.kind and (ns is None or c[2] == ns)]
                    if not events:
                        self.changed.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                        if _closed(handler.connection):  # the watcher hung up: end, as the API server does
                            break
                        continue
                for rv, _, _, etype, obj in events:
                    send({"type": etype, "object": {k: v for k, v in obj.items()}})
                    pos = rv
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client closed the watch
            pass
        finally:
            self.open_watches -= 1
        handler.close_connection = True

    # handlers: (status code, JSON body or text) ---------------------------------
    def _list(self, kind: str, api_version: str, items: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        # Items of a real list carry no kind/apiVersion; the list does.
        stripped = [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in items]
        return 200, {"kind": f"{kind}List", "apiVersion": api_version, "metadata": {"resourceVersion": str(self.rv)}, "items": stripped}

    @staticmethod
    def _in(ns: str, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [o for o in objs if o["metadata"].get("namespace") == ns]

    def _version(self, query: dict[str, str]) -> tuple[int, Any]:
        return 200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-fake", "platform": "linux/amd64"}

    def _pods(self, query: dict[str, str], ns: str) -> tuple[int, Any]:
        return self._list("Pod", "v1", self._in(ns, self.data.pods))

    def _find_pod(self, ns: str, name: str) -> dict[str, Any] | None:
        return next((p for p in self._in(ns, self.data.pods) if p["metadata"]["name"] == name), None)

    def _pod(self, query: dict[str, str], ns: str, name: str) -> tuple[int, Any]:
        pod = self._find_pod(ns, name)
        if pod is None:
            return 404, _status(404, "NotFound", f'pods "{name}" not found', {"name": name, "kind": "pods"})
        return 200, pod

    def _pod_log(self, query: dict[str, str], ns: str, name: str) -> tuple[int, Any]:
        pod = self._find_pod(ns, name)
        if pod is None:
            return 404, _status(404, "NotFound", f'pods "{name}" not found', {"name": name, "kind": "pods"})
        containers = [c["name"] for c in pod["spec"]["containers"]]
        container = query.get("container") or containers[0]
        if container not in containers:
            return 400, _status(400, "BadRequest", f"container {container} is not valid for pod {name}")
        previous = query.get("previous") == "true"
        text = self.data.pod_logs.get((ns, name, container, previous))
        if text is None:
            if previous:
                return 400, _status(400, "BadRequest", f'previous terminated container "{container}" in pod "{name}" not found')
            text = ""
        if "tailLines" in query:
            lines = text.splitlines()
            tail = int(query["tailLines"])
            text = "\n".join(lines[-tail:] if tail else []) + ("\n" if lines and tail else "")
        return 200, text

    def _events(self, query: dict[str, str], ns: str) -> tuple[int, Any]:
        return self._list("Event", "v1", self._in(ns, self.data.events))

    def _deployments(self, query: dict[str, str], ns: str) -> tuple[int, Any]:
        return self._list("Deployment", "apps/v1", self._in(ns, self.data.deployments))

    def _find_deployment(self, ns: str, name: str) -> dict[str, Any] | None:
        return next((d for d in self._in(ns, self.data.deployments) if d["metadata"]["name"] == name), None)

    def _deployment(self, query: dict[str, str], ns: str, name: str) -> tuple[int, Any]:
        dep = self._find_deployment(ns, name)
        if dep is None:
            return 404, _status(404, "NotFound", f'deployments.apps "{name}" not found', {"name": name, "kind": "deployments"})
        return 200, dep

    def _replicasets(self, query: dict[str, str], ns: str) -> tuple[int, Any]:
        return self._list("ReplicaSet", "apps/v1", self._in(ns, self.data.replicasets))

    def _objects_of(self, kind: str) -> list[dict[str, Any]]:
        return {"Pod": self.data.pods, "Event": self.data.events, "Deployment": self.data.deployments,
                "ReplicaSet": self.data.replicasets}.get(kind) or self.data.objects.get(kind, [])

    def _object(self, query: dict[str, str], group: str, ns: str | None, plural: str, name: str | None) -> tuple[int, Any]:
        from sre_mcp.backends.kinds import KINDS

        kind = next((k for k in KINDS.values() if k.plural == plural and k.group_path == group), None)
        if kind is None or (ns is not None and not kind.namespaced):
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        objs = self._objects_of(kind.kind)
        if ns is not None:
            objs = self._in(ns, objs)
        if name is None:
            return self._list(kind.kind, kind.api_version, objs)
        found = next((o for o in objs if o["metadata"]["name"] == name), None)
        if found is None:
            return 404, _status(404, "NotFound", f'{plural} "{name}" not found', {"name": name, "kind": plural})
        return 200, found

    def _node_stats(self, query: dict[str, str], name: str) -> tuple[int, Any]:
        """The kubelet's summary API as the API server proxies it: volumes of this node's pods."""
        pods = []
        for p in self.data.pods:
            if (p.get("spec") or {}).get("nodeName") != name:
                continue
            ns = p["metadata"]["namespace"]
            vols = []
            for v in (p.get("spec") or {}).get("volumes") or []:
                claim = (v.get("persistentVolumeClaim") or {}).get("claimName")
                u = self.data.volume_usage.get((ns, claim)) if claim else None
                if u:
                    vols.append({"name": v.get("name"), "pvcRef": {"name": claim, "namespace": ns}, "usedBytes": u["used_bytes"],
                                 "capacityBytes": u["capacity_bytes"], "availableBytes": u["available_bytes"]})
            pods.append({"podRef": {"name": p["metadata"]["name"], "namespace": ns}, "volume": vols})
        return 200, {"node": {"nodeName": name}, "pods": pods}

    def _metrics(self, query: dict[str, str], ns: str | None) -> tuple[int, Any]:
        if self.data.usage is None:
            return 404, _status(404, "NotFound", "the server could not find the requested resource")
        items = [
            {"metadata": {"name": pod, "namespace": pns}, "timestamp": "2026-01-01T00:00:00Z", "window": "15s",
             "containers": [{"name": "main", "usage": u}]}
            for (pns, pod), u in self.data.usage.items() if ns is None or pns == ns
        ]
        return 200, {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}

    def _metrics_all(self, query: dict[str, str]) -> tuple[int, Any]:
        return self._metrics(query, None)


def bulk_pods(namespace: str, count: int, unhealthy_every: int = 50, nodes: int = 20, start: int = 0) -> list[dict[str, Any]]:
    """`count` API-shaped pods for scale tests: Running and ready, every `unhealthy_every`th in
    CrashLoopBackOff (OOMKilled before), spread over `nodes` nodes and 25 apps. `start` numbers
    them on from another call's pods (one count over several namespaces)."""
    pods = []
    for i in range(start, start + count):
        app = f"svc-{i % 25:02d}"
        bad = unhealthy_every and i % unhealthy_every == 0
        state = ({"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container"}} if bad
                 else {"running": {"startedAt": "2026-01-01T00:00:00Z"}})
        cs = {"name": "app", "image": f"acme/{app}:v1", "imageID": "", "ready": not bad, "started": not bad,
              "restartCount": 12 if bad else 0, "state": state,
              "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "startedAt": "2026-01-01T00:00:00Z",
                                           "finishedAt": "2026-01-01T00:05:00Z"}} if bad else {}}
        pods.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{app}-{i:05d}", "namespace": namespace, "uid": f"uid-{namespace}-{i}", "resourceVersion": "1",
                         "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"app": app, "pod-template-hash": "abc123"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"{app}-abc123", "controller": True}]},
            "spec": {"nodeName": f"node-{i % nodes:02d}", "containers": [{"name": "app", "image": f"acme/{app}:v1",
                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
            "status": {"phase": "Running", "podIP": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}", "hostIP": "10.0.0.1",
                       "startTime": "2026-01-01T00:00:00Z", "qosClass": "Burstable", "containerStatuses": [cs],
                       "conditions": [{"type": "Ready", "status": "False" if bad else "True"}]},
        })
    return pods


def bulk_namespaces(namespaces: int = 200, pods_each: int = 25, unhealthy_every: int = 50, nodes: int = 20) -> list[dict[str, Any]]:
    """Pods of a cluster of many namespaces (`ns-000`...): every namespace `pods_each` pods, one pod
    in `unhealthy_every` of the whole cluster in CrashLoopBackOff."""
    pods: list[dict[str, Any]] = []
    for n in range(namespaces):
        pods += bulk_pods(f"ns-{n:03d}", pods_each, unhealthy_every=unhealthy_every, nodes=nodes, start=n * pods_each)
    return pods


def _closed(conn: socket.socket) -> bool:
    """The watcher hung up: a watch client sends nothing after its request, so a readable
    connection (EOF, or TLS close_notify) is a closing one."""
    try:
        return bool(select.select([conn], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """A strategic-merge patch of plain maps, which is all the write tools send."""
    for k, v in b.items():
        a[k] = _merge(a.get(k) or {}, v) if isinstance(v, dict) else v
    return a


def write_kubeconfig(path: Path, server: str, token: str = "test-token", namespace: str | None = None, context: str = "fake") -> Path:
    ctx: dict[str, Any] = {"cluster": "fake-cluster", "user": "fake-user"}
    if namespace:
        ctx["namespace"] = namespace
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": "fake-cluster", "cluster": {"server": server}}],
        "users": [{"name": "fake-user", "user": {"token": token}}],
        "contexts": [{"name": context, "context": ctx}],
    }))
    return path


def closed_port() -> int:
    """A port nothing listens on: connecting is refused at once."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class HangingServer:
    """Accepts TCP connections (the kernel completes the handshake) and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
