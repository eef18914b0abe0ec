"""What the console knows of the built-in server (sre_mcp), in one place.

The console talks to the server only over MCP; these are the names and orders that
protocol carries (tool names, health statuses, alert severities, report sections).
If the server renames a tool, this file (and `tests/test_server_facts.py`, which checks
them against the running server's tool list) is where it shows. Headless: no Textual.
"""

from __future__ import annotations

from typing import Any


class Tool:
    """Tool names the console calls itself (the model may call any the servers offer)."""

    LIST_SERVICES = "list_services"
    CHECK_SERVICE_HEALTH = "check_service_health"
    LIST_PODS = "list_pods"
    GET_POD_LOGS = "get_pod_logs"
    DESCRIBE_POD = "describe_pod"
    GET_OBJECT = "get_object"  # the YAML view (screens/yaml.py)
    GET_ROLLOUT_HISTORY = "get_rollout_history"  # the rollout history (screens/history.py)
    GET_EVENTS = "get_events"
    SEARCH_LOGS = "search_logs"
    SEARCH_RUNBOOKS = "search_runbooks"
    TRACE_TRANSACTION = "trace_transaction"
    LIST_WORKLOADS = "list_workloads"  # the cluster views (sre_console.views)
    LIST_NODES = "list_nodes"
    GET_SERVICE_ENDPOINTS = "get_service_endpoints"
    LIST_VOLUMES = "list_volumes"
    LIST_CONFIGMAPS = "list_configmaps"
    LIST_HPAS = "list_hpas"
    SCALE_DEPLOYMENT = "scale_deployment"
    ROLLBACK_DEPLOYMENT = "rollback_deployment"
    RESTART_POD = "restart_pod"


CONSOLE_TOOLS = frozenset(v for k, v in vars(Tool).items() if k.isupper())

# Writes a human answers every time ("always" never covers them); scale to 0 and any
# delete are recognised from the arguments and the name (see approval.always_ask_reason).
ALWAYS_ASK_TOOLS = frozenset({Tool.ROLLBACK_DEPLOYMENT})

# check_service_health verdicts, worst first; an unknown word ranks with "unknown".
STATUS_ORDER = {"critical": 0, "degraded": 1, "unknown": 2, "ok": 3, "healthy": 3}
HEALTHY = frozenset({"ok", "healthy"})
ALERT_SEVERITY = {"critical": 0, "error": 1, "warning": 2, "info": 3}

# The report's section headings, in order (the prompts ask for them; the report parser reads them).
ROOT_CAUSE = "ROOT CAUSE"
REPORT_SECTIONS = ("DECISION", "OVERALL", ROOT_CAUSE, "CONFIDENCE", "EVIDENCE", "SEVERITY", "IMMEDIATE ACTIONS", "RUNBOOK REFERENCE",
                   "FOLLOW-UP")


def status_rank(status: Any) -> int:
    return STATUS_ORDER.get(str(status), STATUS_ORDER["unknown"])


def worst_first(row: dict[str, Any]) -> tuple:
    """Sort key for health rows: status, then error rate (higher first), then alerts, then name."""
    return (status_rank(row.get("status")), -(row.get("error_rate") or 0), -len(row.get("alerts") or []),
            str(row.get("service") or row.get("name") or ""))
