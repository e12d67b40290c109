"""`serve`: a live preview of the reports in a browser, rebuilt as sources change."""

from report.serve.server import open_server, serve

__all__ = ["open_server", "serve"]
