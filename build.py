#!/usr/bin/env python3
"""`python build.py COMMAND ...`: build, check, new, import-pfs, release, verify, serve.

No arguments builds sources/ into dist/.
"""

if __name__ == "__main__":
    # Imported here, not above: worker processes import this file and need none of it.
    from report.cli import main

    main()
