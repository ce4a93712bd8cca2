from homewidgets.inbound.cli import main

raise SystemExit(main())
