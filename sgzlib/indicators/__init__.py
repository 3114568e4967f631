"""Indicator catalogues as data and the engine that evaluates them with explanations.

- ``list_catalogues()``, ``load_catalogue(id_or_title)``: the shipped catalogues (``sgzlib/catalogues``);
- ``evaluate(ds, as_of, projects=None)`` → ``Evaluation`` (results, summary, explanations, rollups);
  ``evaluate_stations(ds, stations, as_of)``: the projects of some stations;
- ``RULES``: the registered rule kinds; ``STATUS_ORDER``: statuses, most urgent first.
"""

from ..domain.labels import STATUS_ORDER
from . import rules  # noqa: F401  (registers the built-in rule kinds)
from .catalogue import (
    Catalogue,
    Indicator,
    OptionalTask,
    catalogue_title,
    indicator_labels,
    list_catalogues,
    load_catalogue,
    parse_catalogue,
)
from .engine import RESULT_COLUMNS, Evaluation, evaluate, evaluate_stations
from .registry import RULES, Rule, register

__all__ = ["Catalogue", "Indicator", "OptionalTask", "catalogue_title", "indicator_labels", "list_catalogues",
           "load_catalogue", "parse_catalogue",
           "RESULT_COLUMNS", "STATUS_ORDER", "Evaluation", "evaluate", "evaluate_stations", "RULES", "Rule", "register"]
