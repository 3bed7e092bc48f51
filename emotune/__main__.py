"""Allow ``python -m emotune``."""

from emotune.cli import main

raise SystemExit(main())
