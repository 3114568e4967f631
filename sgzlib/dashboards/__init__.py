"""The Voila dashboards: serving (``server``), cached data per database (``data``), the widget layer
(``ui``), figures, and one module per dashboard (``progress``, ``outcomes``, ``cases``) whose ``build()``
the notebooks in ``dashboards/`` call."""
