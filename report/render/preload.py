"""Load WeasyPrint and set the renderer up, once, in the process that forks the workers.

The build's worker processes are forked from a server process that imports this module
first (report/workers.py), so that each of them starts with the engine loaded and the
fonts and stylesheet read: a worker is ready at once, and so is one that replaces it.
"""

from report.render.engine import start_engine

start_engine()
