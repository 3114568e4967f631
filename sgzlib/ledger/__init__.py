"""Ledger workbooks (台账工作簿): the blank template, tolerant import, export, and the errors sheet.

Everything is derived from ``sgzlib.domain.schema``: the sheets, headers, kinds,
vocabularies and natural keys. See ``docs/ledger.md`` for the contract.
"""

from .errors_out import write_errors
from .importer import ImportResult, SheetSummary, Source, import_ledger, import_workbook, key_text
from .ledger import Ledger, SheetRead
from .reader import read_workbook
from .writer import export_workbook, write_template

__all__ = ["ImportResult", "Ledger", "SheetRead", "SheetSummary", "Source", "export_workbook", "import_ledger",
           "import_workbook", "key_text", "read_workbook", "write_errors", "write_template"]
