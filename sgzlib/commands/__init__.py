"""Subcommands of ``sgz``, one module each, discovered by ``sgzlib.cli``."""
