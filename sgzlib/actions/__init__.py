"""What a user does in the workbench, as library functions without widgets (the pages call them).

Each action takes the database URL, the acting user (``store.access.User``) and its inputs; checks the
user's role and scope; writes in one locked write transaction, with its audit row naming the user; and
refuses with a Chinese ``SgzError`` that says what, where, why and what to do. ``upload``: a ledger
workbook, checked (the dry run of ``sgz import``) then imported; ``reports``: reports generated in the
background by the batch ``sgz report`` runs, and the reports already written.

Kept free of heavy imports: the dashboards' server reads the upload size limit from here.
"""

from __future__ import annotations

import os

UPLOAD_LIMIT_ENV = "SGZ_UPLOAD_LIMIT_MB"
DEFAULT_UPLOAD_LIMIT_MB = 20


def upload_limit_mb(environ=None) -> int:
    """The largest workbook a page accepts, in MB (``SGZ_UPLOAD_LIMIT_MB``, default 20)."""
    env = os.environ if environ is None else environ
    try:
        value = int(env.get(UPLOAD_LIMIT_ENV) or DEFAULT_UPLOAD_LIMIT_MB)
    except ValueError:
        value = DEFAULT_UPLOAD_LIMIT_MB
    return max(1, value)


def upload_limit_bytes(environ=None) -> int:
    return upload_limit_mb(environ) * 1024 * 1024
