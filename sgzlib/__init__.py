"""sgz: supervision and case-analysis workbench for township social-work stations (社工站).

The public analysis API is ``sgzlib.api``, re-exported here (loaded on first use)::

    import sgzlib as sgz
    wb = sgz.open()          # the database of the CLI: --db → $SGZ_DATABASE_URL → data/sgz.db
    wb.station("YL01").evaluate()
"""

__version__ = "0.1.0"

_API = ("open", "demo_workbench", "default_as_of", "Workbench")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api  # on first use: keeps start-up fast (``sgz --help`` imports this package, not pandas)

        return getattr(api, name)
    raise AttributeError(f"module 'sgzlib' has no attribute {name!r}")
