"""The events pane follows the server's change feed: a Warning event created in the cluster
shows with no key pressed and no auto refresh, and the pane says `live` only then."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from sre_console.app import SREConsoleApp
from sre_console.host.config import builtin_server
from sre_console.host.host import McpHost
from sre_console.settings import Settings
from tests.fake_k8s import ClusterData, FakeKubeAPI, write_kubeconfig
from tests.test_cluster_tools import NS, write_scenario
from tests.tui_helpers import wait_until


def _app(server_args: list[str]) -> SREConsoleApp:
    settings = Settings(refresh_interval=0, path=Path(os.environ.get("SRE_CONFIG_DIR", "/tmp")) / "config.yaml")
    return SREConsoleApp(host_factory=lambda: McpHost([builtin_server(server_args)]), settings=settings, refresh_interval=0,
                         namespace=NS)


async def test_a_new_warning_event_reaches_the_events_pane_with_no_key_pressed(tmp_path):
    from sre_mcp.scenarios.loader import load_scenario

    data = ClusterData.from_scenario(load_scenario(str(write_scenario(tmp_path / "scenario"))))
    with FakeKubeAPI(data) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace=NS)
        app = _app(["--kubeconfig", str(kc), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])
        async with app.run_test(size=(180, 50)) as pilot:
            events = app.main.events
            await wait_until(pilot, lambda: events.live and "live" in str(events.border_subtitle), timeout=40, what="events live")
            await wait_until(pilot, lambda: f"{NS} · " in str(events.border_subtitle), timeout=20, what="events loaded")
            await pilot.pause(1.0)  # the server's events watch is open (it starts after the first list)
            before = len(events.events)
            now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            pod = data.pods[0]["metadata"]["name"]
            api.put("Event", {
                "apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{pod}.17a2", "namespace": NS},
                "involvedObject": {"kind": "Pod", "name": pod, "namespace": NS}, "type": "Warning", "reason": "FailedMount",
                "count": 1, "firstTimestamp": now, "lastTimestamp": now, "source": {"component": "kubelet"},
                "message": "MountVolume.SetUp failed for volume \"data\" : the watch made this one"})
            await wait_until(pilot, lambda: any("the watch made this one" in str(e.get("message")) for e in events.events),
                             timeout=10, what="the new event in the pane")
            assert len(events.events) == before + 1
            assert "live" in str(events.border_subtitle)
            from sre_console.widgets.statusbar import StatusBar

            app.main.refresh_status()
            bar = str(app.main.query_one(StatusBar).render())
            assert "live: " in bar and "events" in bar.split("live: ")[1], bar


async def test_the_fixture_feed_is_not_called_live(tmp_path):
    app = _app(["--scenario", str(write_scenario(tmp_path / "scenario")), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])
    async with app.run_test(size=(180, 50)) as pilot:
        events = app.main.events
        await wait_until(pilot, lambda: f"{NS} · 0/0" in str(events.border_subtitle) or events.events, timeout=40, what="events loaded")
        await pilot.pause(1.0)
        assert not events.live and "live" not in str(events.border_subtitle)
