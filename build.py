#!/usr/bin/env python3
"""`python build.py [build|check] ...`; no arguments builds sources/ into dist/."""

from report.cli import main

if __name__ == "__main__":
    main()
