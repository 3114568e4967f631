"""sgz: supervision and case-analysis workbench for township social-work stations (社工站)."""

import pandas as _pd

# Text columns stay pandas' Python-object strings even though pyarrow is installed (it is, for the bulk
# reads of ``storage.load_dataset``): measured on a 1,000-station province, the indicator engine ran
# about twice as slow over Arrow-backed strings, which it turns into object arrays in many places,
# than the Arrow reads saved. The option also keeps every frame's dtypes the same with or without pyarrow.
_pd.set_option("mode.string_storage", "python")

__version__ = "0.1.0"
