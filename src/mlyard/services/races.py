"""Lost races on unique names: the loser gets the same answer as a caller who came later.

On PostgreSQL two requests may create the same name side by side; the store turns the second
insert's unique violation into a generic ``Conflict``. Creators wrap their transaction in
:func:`same_answer_as_late_caller` so that the loser sees ``WorkspaceAlreadyExists`` (which
``exist_ok=True`` handles), not a bare conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mlyard.core.errors import Conflict, MlyardError


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
