"""The YAML view (`Y`, `:yaml`) and the rollout history (`H`, `:history`, `:rollout`), driven through
the real console over the real server on the checkout-latency scenario: a config-only revision
(orders-service 37: a ConfigMap's new content), a StatefulSet with three revisions (orders-db),
a Secret whose values must never show."""

from __future__ import annotations

import os
from pathlib import Path

from sre_console.app import SREConsoleApp
from sre_console.host.config import builtin_server
from sre_console.host.host import McpHost
from sre_console.screens.history import HistoryScreen
from sre_console.screens.yaml import YamlScreen
from sre_console.settings import Settings
from tests.tui_helpers import ROOT, SIZE, wait_until

SCENARIO = ROOT / "servers" / "sre_mcp" / "scenarios" / "checkout-latency"


def _app() -> SREConsoleApp:
    def factory() -> McpHost:
        return McpHost([builtin_server(["--scenario", str(SCENARIO), "--no-rag"])])

    settings = Settings(refresh_interval=0, path=Path(os.environ.get("SRE_CONFIG_DIR", "/tmp")) / "config.yaml")
    return SREConsoleApp(host_factory=factory, settings=settings, refresh_interval=0, scenario="checkout-latency", namespace="shop")


def notified(app, text: str) -> bool:
    return any(text in str(n.message) for n in app._notifications)


async def _pods_loaded(pilot, app) -> None:
    await wait_until(pilot, lambda: app.pods.pods and app.pods.selected, timeout=40, what="pods loaded")


async def _yaml_screen(pilot, app) -> YamlScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, YamlScreen), what="the YAML screen")
    screen = app.screen
    await wait_until(pilot, lambda: screen.view.lines or screen.error, what="the YAML or an error")
    return screen


async def _refused(pilot, app, command: str, notice: str) -> None:
    """A command that cannot run says why and leaves the panes in place."""
    await wait_until(pilot, lambda: app.screen is app.main, what="the panes")
    app.run_command(command)
    await wait_until(pilot, lambda: notified(app, notice), what=notice)
    assert app.screen is app.main


async def _history_screen(pilot, app) -> HistoryScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history screen")
    screen = app.screen
    await wait_until(pilot, lambda: screen.comparison is not None or screen.error, timeout=20, what="the first diff")
    return screen


async def test_yaml_of_a_named_object_find_copy_and_back():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        await pilot.press(":")
        await pilot.press(*"yaml deploy orders-service", "enter")
        screen = await _yaml_screen(pilot, app)
        text = "\n".join(screen.view.lines)
        assert not screen.error and screen.kind == "Deployment"  # `deploy` resolved by the server
        assert "kind: Deployment" in text and "name: orders-service" in text and "image: registry.shop.example/orders-service" in text
        assert "managedFields" not in text
        # Coloured: a key is styled apart from its value.
        line = next(i for i, s in enumerate(screen.view.lines) if s.strip().startswith("replicas:"))
        styled = screen.view._styled(line)
        assert styled.spans and styled.spans[0].start == screen.view.lines[line].index("replicas")
        # `/` finds, n / N walk the matches, the view scrolls to them.
        await pilot.press("/")
        await pilot.press(*"orders-s")
        await wait_until(pilot, lambda: len(screen.view.matches) >= 2, what="find matches")
        first = screen.view.match_index
        await pilot.press("enter", "n")
        assert screen.view.match_index == (first + 1) % len(screen.view.matches)
        await pilot.press("N")
        assert screen.view.match_index == first
        await pilot.press("y")
        assert app.clipboard == text and notified(app, "copied the YAML of Deployment orders-service")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back to the panes")


async def test_yaml_of_the_selected_pod_row():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        app.pods.table.focus()
        pod = app.pods.selected
        assert app.main.selected_ref() == ("Pod", "shop", pod)
        await pilot.press("Y")
        screen = await _yaml_screen(pilot, app)
        assert screen.kind == "Pod" and f"  name: {pod}" in screen.view.lines
        assert "ownerReferences:" in "\n".join(screen.view.lines)


async def test_yaml_of_a_secret_shows_sizes_never_values():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        app.run_command(":yaml secret orders-db-credentials")
        screen = await _yaml_screen(pilot, app)
        text = "\n".join(screen.view.lines)
        assert "password: <19 bytes, not shown>" in text and "username: <6 bytes, not shown>" in text
        assert "not-a-real-password" not in text and "bm90LWEtcmVhbC1wYXNzd29yZA" not in text  # nor its base64
        await pilot.press("y")
        assert "not-a-real-password" not in (app.clipboard or "")


async def test_yaml_errors_are_shown_whole():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        app.run_command(":yaml widget x")
        screen = await _yaml_screen(pilot, app)
        assert "unknown kind 'widget'" in screen.error and "hint: kinds:" in screen.error and "StatefulSet" in screen.error
        assert screen.view.lines == []
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        app.run_command(":yaml deploy nope")
        screen = await _yaml_screen(pilot, app)
        # The message and the hint that names what does exist.
        assert "Deployment 'nope' not found in namespace 'shop'" in screen.error and "orders-service" in screen.error
        assert "Traceback" not in screen.error
        await pilot.press("escape")
        await _refused(pilot, app, ":yaml deploy", "usage: :yaml KIND NAME [NS]")
        # All namespaces on screen: a typed name needs its namespace (the server would refuse "*").
        app.main.set_namespace("*")
        await _refused(pilot, app, ":yaml deploy orders-service", "all namespaces are shown: say which one")
        await _refused(pilot, app, ":history orders-service", "all namespaces are shown: say which one")


async def test_history_from_a_pod_row_shows_the_config_only_revision():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        app.pods.table.focus()
        assert app.pods.select("orders-service-6x9kp")
        await pilot.pause(0.1)
        await pilot.press("H")
        screen = await _history_screen(pilot, app)
        assert not screen.error, screen.error
        # The pod's owner: its ReplicaSet's Deployment.
        assert (screen.kind, screen.target) == ("Deployment", "orders-service")
        assert screen.pair == (36, 37) and screen.current == 37
        summary = screen.summary_text()
        assert "CONFIG-ONLY" in summary and "ConfigMap orders-service-config content changed" in summary
        assert any(line.startswith("+    checksum/configmap-orders-service-config") for line in screen.view.lines)
        # The table: newest first, the current one marked, the config-only row says so.
        first = screen.table.get_row_at(0)
        assert str(first[1]) == "37" and "●" in str(first[0]) and str(first[2]) == "CONFIG-ONLY"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")


async def test_history_pick_any_two_revisions_changes_the_diff():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        await pilot.press(":")
        await pilot.press(*"rollout sts/orders-db data", "enter")
        screen = await _history_screen(pilot, app)
        assert screen.kind == "StatefulSet" and screen.pair == (2, 3)
        default = screen.summary_text()
        assert "env POSTGRES_SHARED_BUFFERS: 2GB → 4GB" in default and "resources limits.memory: 6Gi → 8Gi" in default
        assert "image" not in default.split("\n", 1)[1]
        # Rows are newest first: 3, 2, 1. Mark 3 and 1: the diff is 1 → 3, across revision 2.
        screen.table.focus()
        await pilot.press("space", "down", "down", "space")
        await wait_until(pilot, lambda: screen.pair == (1, 3) and screen.comparison.get("from") == 1, what="1 → 3")
        picked = screen.summary_text()
        assert "image: postgres:15.4 → postgres:15.6" in picked and "env POSTGRES_SHARED_BUFFERS" in picked
        assert "-    image: postgres:15.4" in screen.view.lines and "+    image: postgres:15.6" in screen.view.lines
        assert "◆" in str(screen.table.get_row_at(0)[0]) and "◆" in str(screen.table.get_row_at(2)[0])
        # enter: the highlighted revision (2) against the current one.
        await pilot.press("up", "enter")
        await wait_until(pilot, lambda: screen.pair == (2, 3) and screen.comparison.get("from") == 2, what="2 → 3")
        # `/` finds in the diff; `y` copies the diff with its summary.
        await pilot.press("/")
        await pilot.press(*"SHARED")
        await wait_until(pilot, lambda: screen.view.matches, what="a match in the diff")
        await pilot.press("enter", "y")
        assert "StatefulSet data/orders-db: revision 2 → 3" in app.clipboard and "POSTGRES_SHARED_BUFFERS" in app.clipboard


async def test_history_refuses_what_has_none():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        app.run_command(":history nope")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.error, what="an error")
        assert "no Deployment, StatefulSet or DaemonSet 'nope'" in app.screen.error and "Deployment orders-service" in app.screen.error
        await pilot.press("escape")
        await _refused(pilot, app, ":history svc/orders", "rollout history is for deploy, sts or ds")


async def test_h_and_y_on_cluster_view_rows():
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await _pods_loaded(pilot, app)
        view = app.main.resources
        app.run_command(":deploy")
        await wait_until(pilot, lambda: view.spec is not None and view.spec.name == "deployments" and view.table.row_count, what=":deploy")
        keys = [str(r.key.value) for r in view.table.ordered_rows]
        view.table.focus()
        view.table.move_cursor(row=next(i for i, k in enumerate(keys) if k.endswith("orders-service")), animate=False)
        await wait_until(pilot, lambda: app.main.selected_ref() == ("Deployment", "shop", "orders-service"), what="row selected")
        await pilot.press("H")
        screen = await _history_screen(pilot, app)
        assert (screen.kind, screen.target, screen.pair) == ("Deployment", "orders-service", (36, 37))
        assert "CONFIG-ONLY" in screen.summary_text()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        # A DaemonSet's row in another namespace: its ControllerRevisions; Y on it: its YAML.
        app.run_command(":ns monitoring")
        app.run_command(":ds")
        await wait_until(pilot, lambda: view.spec.name == "daemonsets" and view.table.row_count == 1, what=":ds")
        view.table.focus()
        await wait_until(pilot, lambda: app.main.selected_ref() == ("DaemonSet", "monitoring", "node-exporter"), what="ds row")
        await pilot.press("H")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.comparison is not None, timeout=20,
                         what="the DaemonSet's history")
        assert app.screen.kind == "DaemonSet" and app.screen.pair == (1, 2)
        assert "image: quay.io/prometheus/node-exporter:v1.7.0 → quay.io/prometheus/node-exporter:v1.8.1" in app.screen.summary_text()
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main, what="back")
        await pilot.press("Y")
        screen = await _yaml_screen(pilot, app)
        assert screen.kind == "DaemonSet" and "  name: node-exporter" in screen.view.lines
        # A view row that has no history says so and stays put.
        await pilot.press("escape")
        app.run_command(":svc")
        await wait_until(pilot, lambda: view.spec.name == "services", what=":svc")
        app.run_command(":ns shop")
        await wait_until(pilot, lambda: view.table.row_count, what="services of shop")
        view.table.focus()
        await wait_until(pilot, lambda: (app.main.selected_ref() or ("",))[0] == "Service", what="a service row")
        await pilot.press("H")
        await wait_until(pilot, lambda: notified(app, "has no rollout history"), what="refused")
        assert app.screen is app.main


async def test_history_follows_a_rollout_live_on_the_api_stand_in(tmp_path):
    # The real client against the API stand-in: a new ControllerRevision and the StatefulSet's new
    # updateRevision reach the open history with no key pressed; the default diff moves with them.
    import copy

    from sre_mcp.scenarios.loader import load_scenario
    from tests.fake_k8s import ClusterData, FakeKubeAPI, write_kubeconfig
    from tests.test_cluster_tools import NS, write_scenario

    data = ClusterData.from_scenario(load_scenario(str(write_scenario(tmp_path / "scenario"))))
    with FakeKubeAPI(data) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace=NS)

        def factory() -> McpHost:
            return McpHost([builtin_server(["--kubeconfig", str(kc), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])])

        settings = Settings(refresh_interval=0, path=Path(os.environ.get("SRE_CONFIG_DIR", "/tmp")) / "config.yaml")
        app = SREConsoleApp(host_factory=factory, settings=settings, refresh_interval=0, namespace=NS)
        async with app.run_test(size=SIZE) as pilot:
            await _pods_loaded(pilot, app)
            app.run_command(":history orders-db")
            screen = await _history_screen(pilot, app)
            assert screen.kind == "StatefulSet" and screen.pair == (2, 3)
            await wait_until(pilot, lambda: screen.live, timeout=10, what="the history live")
            crs = [c for c in data.objects["ControllerRevision"] if c["metadata"]["name"].startswith("orders-db-")]
            newest = copy.deepcopy(max(crs, key=lambda c: c["revision"]))
            newest["metadata"]["name"], newest["revision"] = "orders-db-5d4c3b2a1f", 4
            newest["metadata"]["annotations"] = {"kubernetes.io/change-cause": "work_mem 4MB -> 64MB"}
            env = newest["data"]["spec"]["template"]["spec"]["containers"][0].setdefault("env", [])
            env.append({"name": "PG_WORK_MEM", "value": "64MB"})
            api.put("ControllerRevision", newest)
            sts = copy.deepcopy(next(s for s in data.objects["StatefulSet"] if s["metadata"]["name"] == "orders-db"))
            sts["status"]["updateRevision"] = "orders-db-5d4c3b2a1f"
            api.put("StatefulSet", sts)
            await wait_until(pilot, lambda: screen.current == 4 and screen.pair == (3, 4) and screen.comparison.get("to") == 4,
                             timeout=10, what="revision 4 on screen")
            assert "env PG_WORK_MEM: added = 64MB" in screen.summary_text() and "CONFIG-ONLY" in screen.summary_text()
            assert str(screen.table.get_row_at(0)[1]) == "4" and "work_mem" in str(screen.table.get_row_at(0)[5])
