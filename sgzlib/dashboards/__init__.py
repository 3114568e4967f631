"""The Voila dashboards: serving (``server``), cached data per database (``data``), the widget layer
(``ui``), figures, and one module per dashboard (``progress``, ``outcomes``, ``cases``) whose ``build()``
the notebooks in ``dashboards/`` call."""

# The date every dashboard opens on, when set (``sgz dashboard --as-of``); read in the kernels (``data``) and
# set by the server (``server``), kept here so a kernel imports nothing of the server.
AS_OF_ENV_VAR = "SGZ_DASHBOARD_AS_OF"
