"""`sre-mcp-server`: serve over stdio (default) or streamable HTTP; `logs-import` loads JSON-lines logs."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from sre_mcp import __version__
from sre_mcp.config import add_arguments, from_args


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sre-mcp-server",
        description="Composite SRE MCP server: Kubernetes, ClickHouse logs and runbook tools. "
        "With no cluster configured it serves a fixture scenario (offline demo).",
        epilog="Subcommand: sre-mcp-server logs-import --logs-db DIR FILE.jsonl",
    )
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    p.add_argument("--list-scenarios", action="store_true", help="print the shipped scenarios and exit")
    p.add_argument("--version", action="version", version=f"sre-mcp-server {__version__}")
    add_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "logs-import":
        from sre_mcp.logs_import import main as import_main

        return import_main(argv[1:])
    args = _serve_parser().parse_args(argv)
    if args.list_scenarios:
        from sre_mcp.scenarios.loader import load_scenario, list_shipped

        for name in list_shipped():
            print(f"{name:24} {load_scenario(name).title}")
        return 0
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # stdout is the protocol channel on stdio: every diagnostic goes to stderr.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The console shows this stderr: log lines and tracebacks are redacted like results.
    from sre_mcp.security.wire import install_stderr_redaction, serve_stdio

    install_stderr_redaction()
    from sre_mcp.scenarios.loader import ScenarioError
    from sre_mcp.server import build_server

    from sre_mcp.http import HttpConfigError, check_bind
    from sre_mcp.security.auth import AuthConfigError
    from sre_mcp.security.roles import RolesError

    try:
        config = from_args(args)
        if args.transport == "http":
            if config.public_url is None:
                shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
                config.public_url = f"http://{shown}:{args.port}/mcp"
            check_bind(args.host, config)  # before anything slow starts
        server, rt = build_server(config)
    except (ScenarioError, AuthConfigError, RolesError, HttpConfigError) as exc:
        print(f"sre-mcp-server: {exc}", file=sys.stderr)
        return 2
    if args.transport == "http":
        from sre_mcp.http import serve

        code = serve(server, rt, args.host, args.port)
        if rt.audit is not None:
            rt.audit.close()
        sys.stderr.flush()
        os._exit(code)
    else:
        import anyio

        anyio.run(serve_stdio, server, rt.audit)  # server.run("stdio"), answering lines the SDK would drop
    # The client closed stdin: leave now. Interpreter shutdown would wait on the
    # embedder's warm-up thread and chdb's teardown, holding the host for seconds.
    # The audit log is flushed line by line already; close it for good measure.
    if rt.audit is not None:
        rt.audit.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    raise SystemExit(main())
