#!/usr/bin/env python3
"""`python build.py [build|check] ...`; no arguments builds sources/ into dist/."""

if __name__ == "__main__":
    # Imported here, not above: worker processes import this file and need none of it.
    from report.cli import main

    main()
