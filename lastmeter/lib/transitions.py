"""Explicit status-transition tables: one per stateful model, no free-form status writes.

A table maps each state to the frozenset of states it may move to; ``check_transition`` is the
single gate every service passes through before it writes a new status.
"""


class TransitionError(Exception):
    """Raised when a status change is not in the transition table."""


def check_transition(
    table: dict[str, frozenset[str]], current: str, target: str, what: str = "status"
) -> None:
    """Raise ``TransitionError`` unless ``current → target`` is in ``table``."""
    if target not in table.get(current, frozenset()):
        raise TransitionError(f"{what}: {current} → {target} is not allowed")


__all__ = ["TransitionError", "check_transition"]
