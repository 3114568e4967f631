"""The three boards as pages of the workbench: each built on the read model of the user's scope."""

from __future__ import annotations

from .. import cases as cases_board
from .. import outcomes as outcomes_board
from .. import progress as progress_board


def progress(me):
    return progress_board.build(me.source())


def outcomes(me):
    return outcomes_board.build(me.source())


def cases(me):
    return cases_board.build(me.source())
