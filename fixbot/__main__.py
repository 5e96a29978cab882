from fixbot.cli import main

raise SystemExit(main())
