"""Lost races on unique names: the loser gets the same answer as a caller who came later.

On PostgreSQL two requests may create the same name side by side; the store turns the second
insert's unique violation into a generic ``Conflict``. Creators wrap their transaction in
:func:`same_answer_as_late_caller` so that the loser sees ``WorkspaceAlreadyExists`` (which
``exist_ok=True`` handles), not a bare conflict.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from mlyard.core.errors import Conflict, MlyardError

T = TypeVar("T")
NUMBERING_ATTEMPTS = 10


@contextmanager
def same_answer_as_late_caller(taken: Callable[[], MlyardError | None]) -> Iterator[None]:
    try:
        yield
    except Conflict as exc:
        if type(exc) is Conflict:  # the store's generic answer, not a specific one already
            specific = taken()
            if specific is not None:
                raise specific from exc
        raise


def next_number_retried(insert: Callable[[], T], attempts: int = NUMBERING_ATTEMPTS) -> T:
    """Run ``insert`` (one transaction that reads the highest number and writes the next) again
    when a concurrent writer took the same number first. Only PostgreSQL gets here (SQLite's
    writers take turns); n racers need up to n attempts, and a short random pause keeps the
    retries from colliding in step."""
    for attempt in range(attempts):
        try:
            return insert()
        except Conflict as exc:
            if type(exc) is not Conflict or attempt == attempts - 1:
                raise
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))
    raise AssertionError("unreachable")
