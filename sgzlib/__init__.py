"""sgz: supervision and case-analysis workbench for township social-work stations (社工站)."""

__version__ = "0.1.0"
