"""sgz: supervision and case-analysis workbench for township social-work stations (社工站).

The public analysis API is ``sgzlib.api``, re-exported here (loaded on first use)::

    import sgzlib as sgz
    wb = sgz.open()          # the database of the CLI: --db → $SGZ_DATABASE_URL → data/sgz.db
    wb.station("YL01").evaluate()
"""

import pandas as _pd

# Text columns stay pandas' Python-object strings even though pyarrow is installed (it is, for the bulk
# reads of ``storage.load_dataset``): measured on a 1,000-station province, the indicator engine ran
# about twice as slow over Arrow-backed strings, which it turns into object arrays in many places,
# than the Arrow reads saved. The option also keeps every frame's dtypes the same with or without pyarrow.
_pd.set_option("mode.string_storage", "python")

__version__ = "0.1.0"

_API = ("open", "demo_workbench", "default_as_of", "Workbench")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'sgzlib' has no attribute {name!r}")
