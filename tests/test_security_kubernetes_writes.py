"""KubernetesWrites with the official client against a small fake API server: the
exact requests kubectl would make for scale, rollout restart and rollout undo."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from kubernetes import client
from mcp import Client
from sre_mcp.backends.base import BackendError, NotFound
from sre_mcp.backends.writes import KubernetesWrites
from sre_mcp.config import ServerConfig
from sre_mcp.server import build_server

from tests.http_reply import reply

SCEN = str(Path(__file__).parent / "data" / "security-scenario")
DEP_UID = "d-uid-1"


def _template(image: str, hash_: str | None = None) -> dict:
    labels = {"app": "payment-gateway", **({"pod-template-hash": hash_} if hash_ else {})}
    return {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "payment-svc", "image": image}]}}


def _rs(rev: int, image: str, hash_: str) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": f"payment-gateway-{hash_}", "namespace": "payments", "labels": {"app": "payment-gateway"},
                     "annotations": {"deployment.kubernetes.io/revision": str(rev)},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "payment-gateway", "uid": DEP_UID, "controller": True}]},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "payment-gateway"}}, "template": _template(image, hash_)},
    }


def _merge(a: dict, b: dict) -> dict:
    for k, v in b.items():
        a[k] = _merge(a.get(k) or {}, v) if isinstance(v, dict) else v
    return a


class FakeApi(BaseHTTPRequestHandler):
    state: dict = {}
    requests: list = []

    def _send(self, code: int, body: dict):
        reply(self, code, body)

    def _status(self, code: int, reason: str):
        self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "code": code, "message": reason})

    def _route(self, method: str):
        url = urlparse(self.path)
        body = None
        if method == "PATCH":
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"method": method, "path": url.path, "query": parse_qs(url.query), "body": body,
                                    "content_type": self.headers.get("Content-Type")})
        st = type(self).state
        m = re.fullmatch(r"/apis/apps/v1/namespaces/([^/]+)/(deployments|replicasets)(?:/([^/]+))?(/scale)?", url.path)
        if not m:
            return self._status(404, "NotFound")
        ns, kind, name, scale = m.groups()
        if ns == "locked":
            return self._status(403, "Forbidden")
        if kind == "replicasets":
            if name is None:
                return self._send(200, {"apiVersion": "apps/v1", "kind": "ReplicaSetList", "metadata": {}, "items": st["replicasets"]})
            rs = next((r for r in st["replicasets"] if r["metadata"]["name"] == name), None)
            return self._send(200, rs) if rs else self._status(404, "NotFound")
        dep = st["deployment"]
        if name != dep["metadata"]["name"] or ns != "payments":
            return self._status(404, "NotFound")
        if method == "PATCH" and scale:
            dep["spec"]["replicas"] = body["spec"]["replicas"]
            return self._send(200, {"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": name, "namespace": ns},
                                    "spec": {"replicas": dep["spec"]["replicas"]}, "status": {"replicas": dep["spec"]["replicas"]}})
        if method == "PATCH":
            if isinstance(body, list):  # JSON patch
                for op in body:
                    assert op["op"] == "replace" and op["path"] == "/spec/template"
                    dep["spec"]["template"] = op["value"]
            else:
                _merge(dep, body)
            return self._send(200, dep)
        return self._send(200, dep)

    def do_GET(self):
        self._route("GET")

    def do_PATCH(self):
        self._route("PATCH")

    def log_message(self, *a):
        pass


@pytest.fixture
def api():
    FakeApi.requests = []
    FakeApi.state = {
        "deployment": {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "payment-gateway", "namespace": "payments", "uid": DEP_UID,
                         "annotations": {"deployment.kubernetes.io/revision": "14"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "payment-gateway"}}, "template": _template("visa/payment-gw:v2.3.1")},
            "status": {"replicas": 3, "readyReplicas": 2},
        },
        "replicasets": [_rs(13, "visa/payment-gw:v2.3.0", "aaa13"), _rs(14, "visa/payment-gw:v2.3.1", "bbb14")],
    }
    httpd = HTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    cfg = client.Configuration(host=f"http://127.0.0.1:{httpd.server_port}")
    yield KubernetesWrites(client.ApiClient(cfg)), FakeApi
    httpd.shutdown()


def test_scale_patches_the_scale_subresource(api):
    writes, fake = api
    after = writes.scale("payments", "payment-gateway", 1)
    patch = next(r for r in fake.requests if r["method"] == "PATCH")
    assert patch["path"] == "/apis/apps/v1/namespaces/payments/deployments/payment-gateway/scale"
    assert patch["body"] == {"spec": {"replicas": 1}}
    assert after["spec"]["replicas"] == 1


def test_restart_sets_the_restarted_at_annotation(api):
    writes, fake = api
    after = writes.restart("payments", "payment-gateway", "2026-01-01T00:00:00Z")
    [patch] = [r for r in fake.requests if r["method"] == "PATCH"]
    assert patch["content_type"] == "application/strategic-merge-patch+json"
    assert patch["body"] == {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}}
    assert after["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"] == "2026-01-01T00:00:00Z"


def test_rollback_patches_the_template_of_the_revisions_replicaset(api):
    writes, fake = api
    assert [(r["revision"], r["image"]) for r in writes.revisions("payments", "payment-gateway")] == [
        (13, "visa/payment-gw:v2.3.0"), (14, "visa/payment-gw:v2.3.1")]
    lists = [r for r in fake.requests if r["path"].endswith("/replicasets")]
    assert lists[0]["query"]["labelSelector"] == ["app=payment-gateway"]
    after = writes.rollback("payments", "payment-gateway", 13)
    [patch] = [r for r in fake.requests if r["method"] == "PATCH"]
    assert patch["content_type"] == "application/json-patch+json"
    assert patch["body"][0]["value"]["spec"]["containers"][0]["image"] == "visa/payment-gw:v2.3.0"
    assert "pod-template-hash" not in patch["body"][0]["value"]["metadata"]["labels"]
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == "visa/payment-gw:v2.3.0"
    with pytest.raises(NotFound, match="no ReplicaSet for revision 7"):
        writes.rollback("payments", "payment-gateway", 7)


def test_owner_deployment_follows_the_replicaset(api):
    writes, _ = api
    pod = {"metadata": {"name": "payment-gateway-bbb14-x1", "namespace": "payments",
                        "ownerReferences": [{"kind": "ReplicaSet", "name": "payment-gateway-bbb14"}]}}
    assert writes.owner_deployment(pod) == "payment-gateway"


def test_api_errors_become_clear_backend_errors(api):
    writes, _ = api
    assert writes.read_deployment("payments", "nope") is None
    with pytest.raises(BackendError, match="HTTP 403") as exc:
        writes.scale("locked", "payment-gateway", 1)
    assert "RBAC" in exc.value.hint
    cfg = client.Configuration(host="http://127.0.0.1:9")
    cfg.retries = 0  # keep the test fast; the error is the same after retries
    dead = KubernetesWrites(client.ApiClient(cfg))
    with pytest.raises(BackendError, match="unreachable|failed"):
        dead.scale("payments", "payment-gateway", 1)


async def test_scale_tool_end_to_end_on_the_kubernetes_writes(api, tmp_path):
    writes, fake = api
    server, rt = build_server(ServerConfig(scenario=SCEN, audit_log=tmp_path / "a.jsonl", rag=False, allow_writes=True))
    rt.extra["actions"]._writes = writes  # the write tools on the real client, the reads on the fixture
    async with Client(server) as c:
        args = {"namespace": "payments", "deployment_name": "payment-gateway", "replicas": 2}
        prev = await c.call_tool("scale_deployment", args)
        assert prev.structured_content["preview"]["changes"] == {"replicas": {"from": 3, "to": 2}}
        assert not [r for r in fake.requests if r["method"] == "PATCH"]
        done = await c.call_tool("scale_deployment", {**args, "confirmation_token": prev.structured_content["confirmation_token"]})
        assert not done.is_error, done.content[0].text
        assert fake.state["deployment"]["spec"]["replicas"] == 2
