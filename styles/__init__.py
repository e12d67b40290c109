"""The print and screen stylesheets and the bundled fonts: the builder's package data.

Installed as report.styles (see pyproject.toml); read with importlib.resources.
"""
