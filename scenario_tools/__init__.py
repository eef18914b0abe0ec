"""Scenario generators and checks: development scripts beside the server, never shipped.

Run from the repository root: `python -m scenario_tools.gen_<scenario>` rewrites that
scenario's logs.jsonl and pod_logs/; `python -m scenario_tools.check` checks every folder.
"""
