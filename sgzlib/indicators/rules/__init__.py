"""The built-in rule kinds; importing this package registers them."""

from . import people, records, station, work  # noqa: F401
