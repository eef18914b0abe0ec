"""End to end in a real terminal: `sre-console --kubeconfig` on the API stand-in, `:deploy`
opens the Deployments view in the pods pane's place, and a Deployment that loses its ready
replicas in the API shows on screen with no key pressed (auto refresh off)."""

from __future__ import annotations

import copy
import time

import pytest

from sre_mcp.scenarios.loader import load_scenario
from tests.fake_k8s import ClusterData, FakeKubeAPI, write_kubeconfig
from tests.test_cluster_tools import NS, write_scenario
from tests.test_e2e_tmux import CONSOLE, TMUX, Tmux

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(150)]
PROMPT = ":pods payments · :logs POD"  # the command line's placeholder: it is open and has the keys


def _command(tmux: Tmux, text: str) -> None:
    """`:text` Enter, typed only once the command line is on screen (on a busy machine it takes a moment)."""
    tmux.keys(":")
    tmux.wait_for(PROMPT, timeout=10)
    tmux.keys(text, "Enter")


@pytest.mark.skipif(TMUX is None or not CONSOLE.exists(), reason="needs tmux and the installed sre-console")
def test_deployments_view_is_live_in_a_terminal(tmp_path):
    data = ClusterData.from_scenario(load_scenario(str(write_scenario(tmp_path / "scenario"))))
    with FakeKubeAPI(data) as api:
        kc = write_kubeconfig(tmp_path / "kubeconfig", api.url, namespace=NS)
        env = (f"-u COLUMNS -u LINES SRE_CONFIG_DIR={tmp_path}/config SRE_STATE_DIR={tmp_path}/state "
               f"SRE_CACHE_DIR={tmp_path}/cache TERM=xterm-256color")
        tmux = Tmux(tmp_path, width=200, height=50)
        try:
            tmux.start(f"env {env} {CONSOLE} --kubeconfig {kc} --no-rag --refresh 0 --audit-log {tmp_path}/audit.jsonl;"
                       " echo CONSOLE-EXIT=$?; sleep 30")
            tmux.wait_for("sre ready", timeout=60)
            tmux.wait_for("7/7 pods", timeout=30)
            _command(tmux, "deploy")
            tmux.wait_for("3/3 deployments · live", timeout=20)
            assert "rollout stalled" in tmux.screen(), "the highlighted row's problems under the table"
            web = copy.deepcopy(next(d for d in data.deployments if d["metadata"]["name"] == "web"))
            web["status"]["readyReplicas"] = 0
            web["status"]["availableReplicas"] = 0
            t0 = time.perf_counter()
            api.put("Deployment", web)
            tmux.wait_for("0/2", timeout=10)
            took = time.perf_counter() - t0
            assert took <= 2.0, f"the change took {took:.2f}s to reach the screen"
            tmux.keys("f")
            tmux.wait_for("2/3 deployments · live · faulty only", timeout=5)  # web and api; payments is healthy
            tmux.keys("f")
            tmux.wait_for("3/3 deployments · live ", timeout=5)
            _command(tmux, "pods")
            tmux.wait_for("7/7 pods", timeout=10)
            _command(tmux, "q")
            tmux.wait_for("CONSOLE-EXIT=0", timeout=15)
            assert "Traceback" not in tmux.screen()
        finally:
            tmux.kill()
