"""`:ctx` in the console: two API stand-ins are two clusters; switching restarts our server in
the other context, every pane shows the other cluster, prod gets the red skin, and the
user's own theme comes back (and is never overwritten by a skin)."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from sre_console.app import SREConsoleApp
from sre_console.contexts import PROD_THEME
from sre_console.host.config import BUILTIN, builtin_server
from sre_console.host.host import McpHost
from sre_console.server_facts import Tool
from sre_console.screens.contexts import ContextScreen
from sre_console.settings import Settings
from sre_console.widgets.statusbar import StatusBar
from tests.fake_k8s import ClusterData, FakeKubeAPI, bulk_pods
from tests.tui_helpers import make_app, wait_until

NS = "payments"


def pods_named(prefix: str, count: int) -> list[dict]:
    pods = copy.deepcopy(bulk_pods(NS, count, unhealthy_every=0))
    for i, pod in enumerate(pods):
        pod["metadata"]["name"] = f"{prefix}-{i}"
    return pods


def two_cluster_kubeconfig(path: Path, staging_url: str, prod_url: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "staging",
        "clusters": [{"name": "staging-eu", "cluster": {"server": staging_url}},
                     {"name": "eu-west", "cluster": {"server": prod_url}}],
        "users": [{"name": "me", "user": {"token": "test-token"}}],
        "contexts": [{"name": "staging", "context": {"cluster": "staging-eu", "user": "me", "namespace": NS}},
                     {"name": "prod-eu-1", "context": {"cluster": "eu-west", "user": "me", "namespace": NS}},
                     {"name": "dev", "context": {"cluster": "staging-eu", "user": "me"}}],
    }))
    return path


def pod_names(app: SREConsoleApp) -> set[str]:
    return {str(r.key.value) for r in app.pods.table.ordered_rows}


def status_text(app: SREConsoleApp) -> str:
    return str(app.main.query_one(StatusBar).render())


def notified(app: SREConsoleApp, text: str) -> bool:
    return any(text in n.message for n in app._notifications)


async def test_ctx_switches_cluster_skin_and_back_without_touching_the_theme_setting(tmp_path):
    with FakeKubeAPI(ClusterData(pods=pods_named("alpha", 3))) as staging, \
            FakeKubeAPI(ClusterData(pods=pods_named("bravo", 4))) as prod:
        kc = two_cluster_kubeconfig(tmp_path / "kc", staging.url, prod.url)
        config = tmp_path / "config.yaml"
        config.write_text("theme: sre-light   # my own choice, with my comment\nrefresh_interval: 0\n"
                          "contexts:\n  '*prod*': {readonly: true}\n")
        before = config.read_bytes()

        def factory() -> McpHost:
            return McpHost([builtin_server(["--kubeconfig", str(kc), "--no-rag", "--allow-writes",
                                            "--audit-log", str(tmp_path / "audit.jsonl")])])

        app = SREConsoleApp(host_factory=factory, settings=Settings.load(config), refresh_interval=0)
        async with app.run_test(size=(180, 50)) as pilot:
            await wait_until(pilot, lambda: pod_names(app) == {"alpha-0", "alpha-1", "alpha-2"}, timeout=30, what="staging's pods")
            assert app.context == "staging" and app.theme == "sre-light" and app.namespace == NS
            assert "ctx staging" in status_text(app) and "⚠" not in status_text(app)
            titles = [t for t, _, _ in app.palette_commands()]
            assert {"Context: staging", "Context: prod-eu-1", "Context: dev"} <= set(titles)

            assert app.host.tool(Tool.SCALE_DEPLOYMENT) is not None  # --allow-writes on staging

            # Never under a running investigation: its next calls would reach the other cluster.
            chat, conn = app.main.chat, app.host.servers[BUILTIN]
            generation = conn._generation
            chat.investigation, chat.last_result = object(), None
            app.run_command("ctx prod-eu-1")
            await wait_until(pilot, lambda: notified(app, "an investigation is running in context staging"), what="refused")
            assert app.context == "staging" and conn._generation == generation
            chat.investigation = None

            app.run_command("ctx prod-eu-1")
            await pilot.pause()
            assert pod_names(app) == set()  # staging's pods never show under prod's name
            await wait_until(pilot, lambda: pod_names(app) == {f"bravo-{i}" for i in range(4)}, timeout=30, what="prod's pods")
            args = conn.spec.args
            assert args[args.index("--context") + 1] == "prod-eu-1" and conn._generation > generation
            assert any(r.startswith(f"/api/v1/namespaces/{NS}/pods") for r in prod.requests)
            assert "--allow-writes" not in args and app.host.tool(Tool.SCALE_DEPLOYMENT) is None  # `*prod*`: readonly
            await wait_until(pilot, lambda: app.theme == PROD_THEME, what="the red skin")
            assert app.current_theme.name == PROD_THEME
            await wait_until(pilot, lambda: "⚠ ctx prod-eu-1" in status_text(app), what="the status bar names prod")
            await pilot.pause(0.2)
            assert config.read_bytes() == before, "a skin is not the user's theme preference"

            # A typo changes nothing: same context, same server process, same skin.
            generation = conn._generation
            app.run_command("ctx prod-eu")
            await wait_until(pilot, lambda: notified(app, "did you mean prod-eu-1"), what="did you mean")
            assert app.context == "prod-eu-1" and conn._generation == generation and app.theme == PROD_THEME
            assert pod_names(app) == {f"bravo-{i}" for i in range(4)}

            # Back through the picker: every context listed, the one in use highlighted.
            app.run_command("ctx")
            await wait_until(pilot, lambda: isinstance(app.screen, ContextScreen) and app.screen.query_one("#ctx-list").highlighted == 1,
                             what="the context picker, on the context in use")
            options = app.screen.query_one("#ctx-list")
            assert options.option_count == 3 and options.get_option_at_index(1).id == "prod-eu-1"
            assert "●" in str(options.get_option_at_index(1).prompt) and "●" not in str(options.get_option_at_index(0).prompt)
            options.highlighted = 0  # staging
            await pilot.press("enter")
            await wait_until(pilot, lambda: pod_names(app) == {"alpha-0", "alpha-1", "alpha-2"}, timeout=30, what="staging again")
            await wait_until(pilot, lambda: app.theme == "sre-light", what="the user's theme restored")
            assert "ctx staging" in status_text(app) and "⚠" not in status_text(app)
            assert "--allow-writes" in conn.spec.args and app.host.tool(Tool.SCALE_DEPLOYMENT) is not None
            await pilot.pause(0.2)
            assert config.read_bytes() == before

            # The user's own choice is still remembered as before.
            app.run_command("theme sre-high-contrast")
            await wait_until(pilot, lambda: yaml.safe_load(config.read_text()).get("theme") == "sre-high-contrast",
                             what="an explicit theme saved")


async def test_starting_in_a_prod_context_is_red_from_the_first_frame(tmp_path):
    with FakeKubeAPI(ClusterData(pods=pods_named("bravo", 2))) as prod:
        kc = two_cluster_kubeconfig(tmp_path / "kc", prod.url, prod.url)
        kc.write_text(kc.read_text().replace("current-context: staging", "current-context: prod-eu-1"))
        config = tmp_path / "config.yaml"
        config.write_text("theme: sre-light\n")

        def factory() -> McpHost:
            return McpHost([builtin_server(["--kubeconfig", str(kc), "--no-rag", "--audit-log", str(tmp_path / "audit.jsonl")])])

        app = SREConsoleApp(host_factory=factory, settings=Settings.load(config), refresh_interval=0)
        assert app.theme == PROD_THEME and app.context == "prod-eu-1"  # decided before the first frame
        async with app.run_test(size=(180, 50)) as pilot:
            await wait_until(pilot, lambda: pod_names(app) == {"bravo-0", "bravo-1"}, timeout=30, what="prod's pods")
            assert "⚠ ctx prod-eu-1" in status_text(app)
            await pilot.pause(0.2)
        assert config.read_text() == "theme: sre-light\n"


async def test_ctx_in_demo_mode_says_there_is_no_kubeconfig():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_until(pilot, lambda: app.pods.table.row_count > 0, timeout=30, what="pods")
        theme, args = app.theme, list(app.host.servers[BUILTIN].spec.args)
        app.run_command("ctx")
        await wait_until(pilot, lambda: notified(app, "no kubeconfig: the console plays the demo scenario 'payments-incident'"),
                         what="no kubeconfig")
        app.run_command("context prod")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ContextScreen)
        assert app.context is None and app.theme == theme and app.host.servers[BUILTIN].spec.args == args
        assert not [t for t, _, _ in app.palette_commands() if t.startswith("Context: ") and t != "Context: list and switch (:ctx NAME)"]
