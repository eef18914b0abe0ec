"""End to end in a real terminal: the installed `sre-console --demo` inside tmux."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]
TMUX = shutil.which("tmux")
CONSOLE = Path(sys.executable).with_name("sre-console")


class Tmux:
    """One tmux server on its own socket, so the test never touches the user's sessions."""

    def __init__(self, tmp: Path, width: int = 160, height: int = 48):
        self.socket = f"sre-e2e-{os.getpid()}"
        self.size = (width, height)
        self.tmp = tmp

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True, text=True, check=check)

    def start(self, command: str) -> None:
        w, h = map(str, self.size)
        # A detached session takes default-size, so set it (and the window) explicitly.
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", w, "-y", h, "sleep 60")
        self.run("set-option", "-t", "e2e", "window-size", "manual", check=False)
        self.run("resize-window", "-t", "e2e", "-x", w, "-y", h, check=False)
        self.run("respawn-pane", "-k", "-t", "e2e", command)

    def screen(self) -> str:
        out = self.run("capture-pane", "-p", "-t", "e2e", check=False)
        return out.stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "e2e", *keys)

    def alive(self) -> bool:
        return self.run("has-session", "-t", "e2e", check=False).returncode == 0

    def wait_for(self, text: str, timeout: float = 20.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if text in self.screen():
                return time.perf_counter() - start
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{self.screen()}")

    def kill(self) -> None:
        self.run("kill-server", check=False)


@pytest.mark.skipif(TMUX is None or not CONSOLE.exists(), reason="needs tmux and the installed sre-console")
def test_demo_crashing_pod_logs_in_tmux(tmp_path):
    env = f"-u COLUMNS -u LINES SRE_CONFIG_DIR={tmp_path}/config SRE_STATE_DIR={tmp_path}/state SRE_CACHE_DIR={tmp_path}/cache TERM=xterm-256color"
    tmux = Tmux(tmp_path)
    try:
        # Textual draws on stderr, so it stays on the terminal; the exit line proves a clean quit.
        tmux.start(f"env {env} {CONSOLE} --demo --no-rag; echo CONSOLE-EXIT=$?; sleep 30")
        tmux.wait_for("payment-gw-def34", timeout=30)
        screen = tmux.screen()
        assert "CrashLoopBackOff" in screen
        # The crashing pod sorts first and is selected: open its logs, then the crashed container's.
        tmux.keys("l")
        tmux.wait_for("pod payments/payment-gw-def34", timeout=10)
        tmux.keys("p")
        tmux.wait_for("(previous container)", timeout=10)
        tmux.wait_for("OutOfMemoryError", timeout=10)
        tmux.keys(":")
        time.sleep(0.3)
        tmux.keys("q", "Enter")
        tmux.wait_for("CONSOLE-EXIT=0", timeout=10)
        assert "Traceback" not in tmux.screen()
    finally:
        tmux.kill()
