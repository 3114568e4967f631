"""The domain: the tables, their vocabulary and labels, dates, case and group lifecycles, scales and
outcome statistics, caseload, the default as-of date and cross-sheet checks. Pure code over plain data:
no database, no files, no widgets."""

import pandas as _pd  # every module that builds frames imports the domain first

# Text columns stay pandas' Python-object strings even though pyarrow is installed (it is, for the bulk
# reads of ``storage.load_dataset``): measured on a 1,000-station province, the indicator engine ran
# about twice as slow over Arrow-backed strings, which it turns into object arrays in many places,
# than the Arrow reads saved. The option also keeps every frame's dtypes the same with or without pyarrow.
_pd.set_option("mode.string_storage", "python")
