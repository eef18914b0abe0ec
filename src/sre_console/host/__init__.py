from sre_console.host.config import BUILTIN, ConfigError, ServerSpec, audit_log_for, builtin_server, load_servers
from sre_console.host.host import CallResult, HostEvent, McpHost, PromptInfo, ServerDown, ToolInfo

__all__ = [
    "BUILTIN", "CallResult", "ConfigError", "HostEvent", "McpHost", "PromptInfo", "ServerDown",
    "ServerSpec", "ToolInfo", "audit_log_for", "builtin_server", "load_servers",
]
