"""Modal screens: help, command line, server log, related runbooks, approval."""
