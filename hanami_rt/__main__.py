"""`python -m hanami_rt` is the same as the `hanami-rt` console script."""

from hanami_rt.cli import main

raise SystemExit(main())
