from sre_mcp.cli import main

raise SystemExit(main())
