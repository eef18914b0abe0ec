"""The pods pane on a live cluster (the API stand-in through the real client): every row
paged in, the footer's counts true, and a pod's change applied in place from the
server's change feed, with no key pressed and no auto refresh."""

from __future__ import annotations

import copy
import html
import os
import re
from pathlib import Path

from sre_console.app import SREConsoleApp
from sre_console.host.host import McpHost
from sre_console.host.config import builtin_server
from sre_console.settings import Settings
from sre_console.widgets.statusbar import StatusBar
from tests.fake_k8s import ClusterData, FakeKubeAPI, bulk_pods, write_kubeconfig
from tests.tui_helpers import wait_until

NS = "payments"


def _text(svg: str) -> str:
    """The characters of an exported screenshot, without the SVG around them."""
    return "".join(html.unescape(t) for t in re.findall(r">([^<]*)</text>", svg)).replace("\xa0", " ")


def _app(kc: Path, tmp: Path) -> SREConsoleApp:
    def factory() -> McpHost:
        return McpHost([builtin_server(["--kubeconfig", str(kc), "--no-rag", "--audit-log", str(tmp / "audit.jsonl")])])

    settings = Settings(refresh_interval=0, path=Path(os.environ.get("SRE_CONFIG_DIR", "/tmp")) / "config.yaml")
    return SREConsoleApp(host_factory=factory, settings=settings, refresh_interval=0, namespace=NS)


async def test_pods_pane_pages_every_row_and_applies_changes_live(tmp_path):
    pods = bulk_pods(NS, int(os.environ.get("I12_N", "1203")), unhealthy_every=0)  # more than two pages of the pane
    with FakeKubeAPI(ClusterData(pods=pods)) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace=NS)
        app = _app(kc, tmp_path)
        async with app.run_test(size=(180, 50)) as pilot:
            pane = app.pods
            await wait_until(pilot, lambda: pane.table.row_count == len(pods) and f"{len(pods)}/{len(pods)} pods" in str(pane.border_subtitle),
                             timeout=60, what="every pod in the table")
            await wait_until(pilot, lambda: pane.live, timeout=10, what="the change feed open")
            assert "live" in str(pane.border_subtitle)
            await wait_until(pilot, lambda: "live: pods" in str(app.main.query_one(StatusBar).render()), timeout=5, what="the status bar says live")
            victim = copy.deepcopy(pods[len(pods) - 500])
            victim["status"]["containerStatuses"][0].update(ready=False, restartCount=4, state={"waiting": {"reason": "CrashLoopBackOff"}})
            victim["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
            api.put("Pod", victim)
            name = victim["metadata"]["name"]
            await wait_until(pilot, lambda: str(pane.table.get_row_at(0)[0]) == name, timeout=10, what="the broken pod on top")
            assert str(pane.table.get_row_at(0)[2]) == "CrashLoopBackOff" and pane.table.row_count == len(pods)
            # On screen, not only in the table's data: the drawn rows follow the new order.
            await pilot.pause(0.2)
            screen = _text(app.export_screenshot())
            assert "CrashLoopBackOff" in screen and name in screen, screen[screen.find("╭─ pods"):][:2500]
            newcomer = copy.deepcopy(pods[0])
            newcomer["metadata"]["name"] = "svc-99-new01"
            api.put("Pod", newcomer)
            api.delete("Pod", NS, pods[5]["metadata"]["name"])
            await wait_until(pilot, lambda: f"{len(pods)}/{len(pods)} pods" in str(pane.border_subtitle) and pane.table.row_count == len(pods)
                             and any(str(r.key.value) == "svc-99-new01" for r in pane.table.ordered_rows), timeout=10,
                             what="one pod added, one gone")
            lists = [r for r in api.requests if r.split("?")[0] == f"/api/v1/namespaces/{NS}/pods" and "watch=" not in r]
            assert len(lists) == 1, "one list, then the watch"
