"""The domain: the tables, their vocabulary and labels, dates, case and group lifecycles, scales and
outcome statistics, caseload, the default as-of date and cross-sheet checks. Pure code over plain data:
no database, no files, no widgets."""
