"""The one read model: what a user may see (scope), on which date, masked or not, and everything computed on it.

``Workbench`` is the only way the CLI, the reports, the dashboards, the browser pages and the public API
open the data at a date and evaluate it. ``sgzlib.api`` re-exports it for notebooks.
"""

from .model import Workbench, default_as_of, open_index, open_workbench

__all__ = ["Workbench", "open_workbench", "open_index", "default_as_of"]
