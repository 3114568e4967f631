"""The workbench in the browser: serving (``server``, ``voila_main``, ``hub``), who is looking (``session``),
the pages and who may use them (``pages``), the frame of every page (``shell``), cached data per database
(``data``), the widget layer (``ui``), figures, and one module per board (``progress``, ``outcomes``,
``cases``) whose ``build()`` the pages call."""

# Set by the server for its kernels, read by them; kept here so that the server imports nothing heavy.
# The date every dashboard opens on, when set (``sgz dashboard --as-of``).
AS_OF_ENV_VAR = "SGZ_DASHBOARD_AS_OF"
USER_ENV = "SGZ_DASHBOARD_USER"  # sgz dashboard --user
HUB_USER_ENV = "JUPYTERHUB_USER"  # set by JupyterHub for a user's server
ACCESS_ENV = "SGZ_ACCESS_FILE"  # the users-and-roles file (sgz dashboard --access, the Hub's SGZ_HUB_ACCESS)
REPORTS_ENV = "SGZ_REPORTS_DIR"  # this user's report folder (the reports page writes there, the server serves it)
REFUSED_ENV = "SGZ_REFUSED_PAGES"  # the pages this server's user may not use (their addresses are refused)
