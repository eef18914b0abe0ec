"""End to end in a real terminal: `sre-console --kubeconfig` on the Kubernetes API stand-in
holding 5,002 pods. The pods pane shows every one (its footer says 5002/5002), and a pod
that changes state in the API reaches the screen with no key pressed, through the
server's watch cache and the subscriptions/listen change feed (auto refresh is off)."""

from __future__ import annotations

import copy
import time

import pytest

from tests.fake_k8s import ClusterData, FakeKubeAPI, bulk_pods, write_kubeconfig
from tests.test_e2e_tmux import CONSOLE, TMUX, Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]
NS = "payments"


PROMPT = ":pods payments · :logs POD"  # the command line's placeholder: it is open and has the keys

def _lists(api: FakeKubeAPI) -> int:
    return sum(1 for r in api.requests if r.split("?")[0] == f"/api/v1/namespaces/{NS}/pods" and "watch=" not in r)


@pytest.mark.skipif(TMUX is None or not CONSOLE.exists(), reason="needs tmux and the installed sre-console")
def test_pods_pane_is_complete_and_live_at_5002_pods(tmp_path):
    pods = bulk_pods(NS, 5002, unhealthy_every=0)  # all Running: the one that breaks is easy to spot
    with FakeKubeAPI(ClusterData(pods=pods)) as api:
        kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, namespace=NS)
        env = (f"-u COLUMNS -u LINES SRE_CONFIG_DIR={tmp_path}/config SRE_STATE_DIR={tmp_path}/state "
               f"SRE_CACHE_DIR={tmp_path}/cache TERM=xterm-256color")
        tmux = Tmux(tmp_path, width=200, height=50)
        try:
            tmux.start(f"env {env} {CONSOLE} --kubeconfig {kc} --no-rag --refresh 0 --audit-log {tmp_path}/audit.jsonl;"
                       " echo CONSOLE-EXIT=$?; sleep 30")
            tmux.wait_for("sre ready", timeout=60)
            tmux.keys(":")
            tmux.wait_for(PROMPT, timeout=10)  # typed before the command line is up, the words would go to the panes
            tmux.keys(f"ns {NS}", "Enter")
            tmux.wait_for("5002/5002 pods", timeout=60)
            assert "live" in tmux.screen() and "CrashLoopBackOff" not in tmux.screen()
            lists_before = _lists(api)

            victim = copy.deepcopy(pods[4321])
            name = victim["metadata"]["name"]
            cs = victim["status"]["containerStatuses"][0]
            cs.update(ready=False, restartCount=5, state={"waiting": {"reason": "CrashLoopBackOff"}})
            victim["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
            t0 = time.perf_counter()
            api.put("Pod", victim)
            seen = tmux.wait_for("CrashLoopBackOff", timeout=10)
            # The broken pod sorts first, so it is on screen; the pane's count is still the API's.
            assert name in tmux.screen() and "5002/5002 pods" in tmux.screen()
            assert seen <= 2.0, f"the change took {time.perf_counter() - t0:.2f}s to reach the screen"

            newcomer = copy.deepcopy(pods[0])
            newcomer["metadata"]["name"] = "svc-99-new01"
            api.put("Pod", newcomer)
            assert tmux.wait_for("5003/5003 pods", timeout=10) <= 2.0
            api.delete("Pod", NS, name)
            assert tmux.wait_for("5002/5002 pods", timeout=10) <= 2.0
            assert "CrashLoopBackOff" not in tmux.screen()
            assert _lists(api) == lists_before, "the changes came through the watch: the pods were not listed again"
            tmux.keys(":")
            tmux.wait_for(PROMPT, timeout=10)  # typed before the command line is up, the words would go to the panes
            tmux.keys("q", "Enter")
            tmux.wait_for("CONSOLE-EXIT=0", timeout=15)
            assert "Traceback" not in tmux.screen()
        finally:
            tmux.kill()
