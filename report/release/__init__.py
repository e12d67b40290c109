"""Versioned releases: reproducible, verifiable, with a revision history readers can see.

- version.py: semantic and calendar version numbers, and their order.
- model.py: what a release adds to the report model (version, history, sources).
- snapshot.py: the normalised sources a release keeps, and its history.
- changes.py: what changed between two snapshots; CHANGES.md.
- publish.py: `release VERSION`; verify.py: `verify DIR`; sign.py: PAdES signatures.
"""
