"""`python -m sre_console` is `sre-console`."""

from sre_console.cli import main

raise SystemExit(main())
