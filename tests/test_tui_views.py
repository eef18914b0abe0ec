"""The cluster views (`:deploy`, `:sts`, … `:hpa`) against the real server: on a fixture
scenario with every kind and its findings, and live on the API stand-in through the
official client (a change in the API reaches the view with no key pressed)."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from sre_console.app import SREConsoleApp
from sre_console.host.config import builtin_server
from sre_console.host.host import McpHost
from sre_console.settings import Settings
from sre_console.views import VIEWS, sort_key
from tests.fake_k8s import ClusterData, FakeKubeAPI, write_kubeconfig
from tests.test_cluster_tools import NS, write_scenario
from tests.tui_helpers import wait_until

pytestmark = pytest.mark.timeout(180)

# What tests/test_cluster_tools.py's scenario holds, per view.
EXPECTED = {
    "deploy": {"web", "api", "payments"},
    "sts": {"orders-db"},
    "ds": {"log-agent"},
    "jobs": {"migrate-42", "nightly-report-2901"},
    "cj": {"nightly-report"},
    "nodes": {"w1", "w2", "w3"},
    "svc": {"web", "api", "payments", "edge"},
    "pvc": {"data-orders-db-0", "data-orders-db-1"},
    "cm": {"web-config", "api-flags"},
    "hpa": {"web", "api"},
}


def _app(server_args: list[str], namespace: str = NS, refresh: float = 0) -> SREConsoleApp:
    def factory() -> McpHost:
        return McpHost([builtin_server(server_args)])

    settings = Settings(refresh_interval=refresh, path=Path(os.environ.get("SRE_CONFIG_DIR", "/tmp")) / "config.yaml")
    return SREConsoleApp(host_factory=factory, settings=settings, refresh_interval=refresh, namespace=namespace)


@pytest.fixture
def scenario(tmp_path) -> Path:
    return write_scenario(tmp_path / "scenario")


def _names(view) -> list[str]:
    return [str(view.table.get_row_at(i)[0]) for i in range(view.table.row_count)]


async def test_each_view_opens_from_its_verb_with_the_scenarios_objects(scenario, tmp_path):
    app = _app(["--scenario", str(scenario), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])
    async with app.run_test(size=(180, 50)) as pilot:
        await wait_until(pilot, lambda: app.pods.pods, timeout=40, what="the pods pane loaded")
        view = app.main.resources
        for verb, names in EXPECTED.items():
            app.run_command(f":{verb}")
            spec = view.spec
            await wait_until(pilot, lambda: {r.get("name") for r in view.rows} == names and view.table.row_count == len(names),
                             timeout=10, what=f":{verb} rows")
            assert spec is not None and verb in spec.verbs
            assert app.main.view_shown and not app.pods.display, "the view takes the pods pane's place"
            assert set(_names(view)) == names
            assert f"{len(names)}/{len(names)}" in str(view.border_subtitle), (verb, view.border_subtitle)
            assert spec.name in str(view.border_title)
            assert (NS in str(view.border_subtitle)) == spec.namespaced
            assert "live" not in str(view.border_subtitle), "the fixture does not watch: never called live"
            ref = app.main.selected_ref()
            assert ref is not None and ref[2] in names and ref[1] == (NS if spec.namespaced else None)
        # The problems of the highlighted row under the table, as the server wrote them.
        app.run_command(":deploy")
        await wait_until(pilot, lambda: view.spec.name == "deployments" and view.rows, what="deployments again")
        assert _names(view)[0] == "api", "problems first, as the server sorts"
        detail = str(view.query_one("#resources-detail").render())
        assert "rollout stalled" in detail and "timed out progressing" in detail
        assert app.main.selected_ref() == ("Deployment", NS, "api")
        # Not live on the fixture: the auto refresh's tick (refresh_panes) reloads the view.
        before = view.rows
        app.main.refresh_panes()
        await wait_until(pilot, lambda: view.rows is not before and len(view.rows) == 3, what="the view reloaded by the refresh")
        # `:pods` and `o` bring the pods pane back.
        app.run_command(":pods")
        await pilot.pause(0.05)
        assert app.pods.display and not app.main.view_shown
        assert app.main.selected_ref() is None or app.main.selected_ref()[0] == "Pod"
        app.run_command(":bogus-view")  # unknown verb: a notice, nothing changes
        assert app.pods.display
        # The pods pane sorts the same way: `:sort COLUMN`, `<` reverses; the title says so.
        app.run_command(":sort restarts")
        await pilot.pause(0.05)
        assert app.main.resources.sort_column is None, "the hidden view keeps its order"
        assert "pods · sort: restarts ↑" in str(app.pods.border_title)
        app.run_command(":sort name")
        await pilot.pause(0.05)
        names = [str(app.pods.table.get_row_at(i)[0]) for i in range(app.pods.table.row_count)]
        assert names == sorted(names) and len(names) == 7
        await pilot.press("less_than_sign")
        names = [str(app.pods.table.get_row_at(i)[0]) for i in range(app.pods.table.row_count)]
        assert names == sorted(names, reverse=True) and "sort: name ↓" in str(app.pods.border_title)
        app.run_command(":sort nosuch")  # a notice naming the columns; the order stays
        await pilot.pause(0.05)
        assert "sort: name ↓" in str(app.pods.border_title)
        assert any("no column 'nosuch'" in n.message for n in app._notifications)


async def test_filter_faulty_and_sort_change_rows_and_count(scenario, tmp_path):
    app = _app(["--scenario", str(scenario), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])
    async with app.run_test(size=(180, 50)) as pilot:
        await wait_until(pilot, lambda: app.pods.pods, timeout=40, what="the pods pane loaded")
        app.run_command(":svc")
        view = app.main.resources
        await wait_until(pilot, lambda: view.table.row_count == 4, what="services")
        await pilot.press("f")
        # payments (no pod matches its selector) and edge (LoadBalancer pending); api's endpoints are not ready.
        faulty = {r["name"] for r in view.rows if not r["healthy"]}
        assert faulty and faulty != {r["name"] for r in view.rows}
        assert set(_names(view)) == faulty
        assert f"{len(faulty)}/4" in str(view.border_subtitle) and "faulty only" in str(view.border_subtitle)
        await pilot.press("f")
        assert view.table.row_count == 4 and "faulty only" not in str(view.border_subtitle)
        # `/` regex filter, `!` inverts; the count says so.
        await pilot.press("slash")
        await pilot.press(*"^(web|edge)")
        assert set(_names(view)) == {"web", "edge"} and "2/4" in str(view.border_subtitle)
        await pilot.press("enter")
        assert view.filter_text == "^(web|edge)" and view.table.has_focus
        await pilot.press("escape")
        assert view.table.row_count == 4 and view.filter_text == ""
        view.apply_filter("!^(web|edge)")
        assert set(_names(view)) == {"api", "payments"} and "2/4" in str(view.border_subtitle)
        view.apply_filter("")
        # Sort: `>` the next column (name first), `<` reverses; the title says which.
        await pilot.press("greater_than_sign")
        assert _names(view) == ["api", "edge", "payments", "web"] and "sort: name ↑" in str(view.border_title)
        await pilot.press("less_than_sign")
        assert _names(view) == ["web", "payments", "edge", "api"] and "sort: name ↓" in str(view.border_title)
        # A click on a header sorts by it, a second click reverses.
        table = view.table
        ports = next(i for i, c in enumerate(table.ordered_columns) if str(c.label) == "ports")
        for _ in range(2):
            table.post_message(table.HeaderSelected(table, table.ordered_columns[ports].key, ports, table.ordered_columns[ports].label))
            await pilot.pause(0.05)
        assert "sort: ports ↓" in str(view.border_title) and _names(view)[0] == "api", "8080->8080 first (by number, descending)"
        app.run_command(":sort type")
        await pilot.pause(0.05)
        assert _names(view)[-1] == "edge", "LoadBalancer after ClusterIP"
        app.run_command(":sort nosuchcolumn")  # a notice; the sort stays
        assert "sort: type ↑" in str(view.border_title)
        for _ in range(len(VIEWS["services"].columns) - 1):
            await pilot.press("greater_than_sign")
        assert "problems first" in str(view.border_title), "after the last column: the server's order again"


async def test_enter_on_a_workload_shows_its_pods_and_esc_goes_back(scenario, tmp_path):
    app = _app(["--scenario", str(scenario), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])
    async with app.run_test(size=(180, 50)) as pilot:
        await wait_until(pilot, lambda: len(app.pods.pods) == 7, timeout=40, what="the pods pane loaded")
        app.run_command(":deploy")
        view = app.main.resources
        await wait_until(pilot, lambda: view.table.row_count == 3, what="deployments")
        view.table.move_cursor(row=_names(view).index("web"))
        await pilot.press("enter")
        pods = app.pods
        await wait_until(pilot, lambda: pods.display and {p["name"] for p in pods.pods} == {"web-aaaaa", "web-bbbbb"},
                         what="web's pods (selector app=web)")
        assert "deployment web" in str(pods.border_subtitle) and "2/2 pods" in str(pods.border_subtitle)
        assert pods.table.has_focus
        await pilot.press("escape")
        assert app.main.view_shown and view.spec.name == "deployments" and pods.scope is None
        # A node: its pods, by the server's node filter.
        app.run_command(":nodes")
        await wait_until(pilot, lambda: view.spec.name == "nodes" and view.table.row_count == 3, what="nodes")
        view.table.move_cursor(row=_names(view).index("w1"))
        assert app.main.selected_ref() == ("Node", None, "w1")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pods.display and {p["name"] for p in pods.pods} == {"orders-db-0", "web-aaaaa", "api-ccccc"},
                         what="the pods on w1")
        assert "node w1" in str(pods.border_subtitle)
        app.run_command(":pods")  # on the scoped list: every pod again
        await wait_until(pilot, lambda: len(pods.pods) == 7 and pods.scope is None, what="all pods again")
        # `enter` on a service in the health pane filters the pods: they come back in a view's place.
        from sre_console.widgets.health import HealthPane

        app.run_command(":hpa")
        await wait_until(pilot, lambda: view.spec.name == "hpas" and app.main.view_shown, what="hpas")
        app.health.post_message(HealthPane.ServiceChosen("web", NS))
        await wait_until(pilot, lambda: pods.display and not app.main.view_shown and pods.filter_text == "web",
                         what="the pods back, filtered to the service")


async def test_a_change_in_the_api_reaches_the_view_with_no_key_pressed(tmp_path):
    from sre_mcp.scenarios.loader import load_scenario

    sc = load_scenario(str(write_scenario(tmp_path / "scenario")))
    data = ClusterData.from_scenario(sc)
    with FakeKubeAPI(data) as api:
        kc = write_kubeconfig(tmp_path / "kc", api.url, namespace=NS)
        app = _app(["--kubeconfig", str(kc), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])
        async with app.run_test(size=(180, 50)) as pilot:
            await wait_until(pilot, lambda: app.pods.pods, timeout=40, what="the pods pane loaded")
            app.run_command(":deploy")
            view = app.main.resources
            await wait_until(pilot, lambda: view.table.row_count == 3, what="deployments")
            await wait_until(pilot, lambda: view.live and "live" in str(view.border_subtitle), timeout=10, what="the view live")
            web = copy.deepcopy(next(d for d in data.deployments if d["metadata"]["name"] == "web"))
            web["status"]["readyReplicas"] = 0
            web["status"]["availableReplicas"] = 0
            api.put("Deployment", web)
            await wait_until(pilot, lambda: any(r["name"] == "web" and r["ready"] == "0/2" for r in view.rows)
                             and "0/2" in [str(view.table.get_row_at(i)[1]) for i in range(view.table.row_count)],
                             timeout=10, what="web 0/2 on screen")
            # A new StatefulSet while its view is shown, then one deleted: the count follows.
            app.run_command(":sts")
            await wait_until(pilot, lambda: view.spec.name == "statefulsets" and view.table.row_count == 1 and view.live,
                             timeout=10, what="statefulsets live")
            sts = copy.deepcopy(data.objects["StatefulSet"][0])
            sts["metadata"]["name"] = "cache"
            api.put("StatefulSet", sts)
            await wait_until(pilot, lambda: set(_names(view)) == {"orders-db", "cache"} and "2/2" in str(view.border_subtitle),
                             timeout=10, what="the new StatefulSet")
            api.delete("StatefulSet", NS, "orders-db")
            await wait_until(pilot, lambda: _names(view) == ["cache"] and "1/1" in str(view.border_subtitle),
                             timeout=10, what="orders-db gone")
            # Across namespaces the view follows k8s://statefulsets/* the same way.
            await pilot.press("0")
            await wait_until(pilot, lambda: view.namespace == "*" and view.rows and view.live, timeout=10, what="all namespaces, live")
            late = copy.deepcopy(sts)
            late["metadata"]["name"] = "queue"
            api.put("StatefulSet", late)
            await wait_until(pilot, lambda: {r["name"] for r in view.rows} == {"cache", "queue"} and view.table.row_count == 2,
                             timeout=10, what="a StatefulSet added, seen across namespaces")
            assert str(view.table.ordered_columns[0].label) == "namespace"
            # The pods pane across namespaces applies a pod's change in place, keyed namespace/name.
            app.run_command(":pods")
            pods = app.pods
            await wait_until(pilot, lambda: pods.display and pods.namespace == "*" and pods.live and len(pods.pods) == 7,
                             timeout=10, what="pods of all namespaces, live")
            web = next(p for p in data.pods if p["metadata"]["name"] == "web-bbbbb")
            broken = copy.deepcopy(web)
            broken["status"]["containerStatuses"][0].update(ready=False, restartCount=9, state={"waiting": {"reason": "CrashLoopBackOff"}})
            broken["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
            api.put("Pod", broken)
            await wait_until(pilot, lambda: [str(c) for c in pods.table.get_row_at(0)[:4]] == [NS, "web-bbbbb", "0/1", "CrashLoopBackOff"],
                             timeout=10, what="the broken pod on top, with its namespace")
            assert pods.table.row_count == 7 and "7/7 pods" in str(pods.border_subtitle)


def test_sort_key_orders_cells_by_meaning():
    cells = ["3d", "5h", "40m", "—", "2d3h"]
    assert sorted(cells, key=sort_key) == ["40m", "5h", "2d3h", "3d", "—"]
    assert sorted(["10/10", "9/10", "0/2"], key=sort_key) == ["0/2", "9/10", "10/10"]
    assert sorted(["95%", "100%", "7%"], key=sort_key) == ["7%", "95%", "100%"]
    assert sorted(["b", "A", "c"], key=sort_key) == ["A", "b", "c"]


async def test_all_namespaces_in_the_pods_pane_and_the_views(tmp_path):
    """k9s `0` and `:deploy *`: every readable namespace, a namespace column, true totals."""
    from sre_mcp.scenarios.loader import load_scenario

    sc = load_scenario("checkout-latency")  # four namespaces with pods, workloads, claims
    by_ns: dict[str, int] = {}
    for p in sc.pods:
        by_ns[p["metadata"]["namespace"]] = by_ns.get(p["metadata"]["namespace"], 0) + 1
    assert len(by_ns) >= 3
    app = _app(["--scenario", "checkout-latency", "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")], namespace="shop")
    async with app.run_test(size=(180, 50)) as pilot:
        pods = app.pods
        await wait_until(pilot, lambda: len(pods.pods) == by_ns["shop"], timeout=40, what="the shop pods")
        await pilot.press("0")
        total = sum(by_ns.values())
        await wait_until(pilot, lambda: pods.namespace == "*" and len(pods.pods) == total and pods.table.row_count == total,
                         timeout=15, what="every namespace's pods")
        assert [str(c.label) for c in pods.table.ordered_columns][:2] == ["namespace", "name"]
        assert {str(pods.table.get_row_at(i)[0]) for i in range(total)} == set(by_ns)
        assert f"{total}/{total} pods" in str(pods.border_subtitle) and str(pods.border_subtitle).startswith("*")
        assert "*" not in app.namespaces, "`*` is not a namespace to cycle through"
        # The cursor's pod names its own namespace (logs, describe, YAML follow it).
        pods.table.move_cursor(row=next(i for i in range(total) if str(pods.table.get_row_at(i)[0]) == "data"))
        await pilot.pause(0.05)
        ref = app.main.selected_ref()
        assert ref is not None and ref[0] == "Pod" and ref[1] == "data"
        await wait_until(pilot, lambda: app.describe.shown_target == ("data", ref[2]), what="describe follows the row's namespace")
        # A view across namespaces: a namespace column, rows of several namespaces, the count of all.
        app.run_command(":sts")
        view = app.main.resources
        await wait_until(pilot, lambda: view.spec.name == "statefulsets" and view.rows, what="statefulsets of all namespaces")
        assert str(view.table.ordered_columns[0].label) == "namespace"
        app.run_command(":deploy")
        expected = {(d["metadata"]["namespace"], d["metadata"]["name"]) for d in sc.deployments}
        await wait_until(pilot, lambda: view.spec.name == "deployments" and len(view.rows) == len(expected), what="deployments")
        shown = {(str(view.table.get_row_at(i)[0]), str(view.table.get_row_at(i)[1])) for i in range(view.table.row_count)}
        assert shown == expected and len({ns for ns, _ in shown}) >= 2
        assert f"{len(expected)}/{len(expected)} deployments" in str(view.border_subtitle)
        # `/` matches the namespace column too.
        view.apply_filter("^monitoring")
        assert view.table.row_count == sum(1 for ns, _ in expected if ns == "monitoring")
        view.apply_filter("")
        # `0` again: back to the namespace before, the namespace column gone.
        await pilot.press("0")
        await wait_until(pilot, lambda: view.namespace == "shop" and view.rows and all(r["namespace"] == "shop" for r in view.rows),
                         what="back to shop")
        assert str(view.table.ordered_columns[0].label) == "name"
        app.run_command(":pvc *")
        await wait_until(pilot, lambda: view.spec.name == "pvcs" and view.namespace == "*" and view.rows, what=":pvc *")
        assert {r["namespace"] for r in view.rows} == {"data"}
        assert app.main.selected_ref()[1] == "data"
        app.run_command(":cm")
        await wait_until(pilot, lambda: view.spec.name == "configmaps" and view.rows, what=":cm across namespaces")
        assert {(r["namespace"], r["name"]) for r in view.rows} >= {("shop", "orders-service-config")}
        app.run_command(":pods")
        await wait_until(pilot, lambda: pods.display and len(pods.pods) == total, what="pods of every namespace")


async def test_views_page_through_every_row(scenario, tmp_path, monkeypatch):
    """A page holds 2 rows here: every view still shows all of them, and says so."""
    from sre_console.widgets import resources

    monkeypatch.setattr(resources, "PAGE_ROWS", 2)
    app = _app(["--scenario", str(scenario), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])
    async with app.run_test(size=(180, 50)) as pilot:
        await wait_until(pilot, lambda: app.pods.pods, timeout=40, what="the pods pane loaded")
        view = app.main.resources
        for verb in ("deploy", "svc"):
            names = EXPECTED[verb]
            app.run_command(f":{verb}")
            await wait_until(pilot, lambda: verb in view.spec.verbs and {r.get("name") for r in view.rows} == names
                             and not view.loading, what=f":{verb} every page")
            assert view.total == len(names) and f"{len(names)}/{len(names)} {view.spec.name}" in str(view.border_subtitle)
            assert len(names) > 2, "more rows than one page"
