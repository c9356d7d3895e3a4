"""Errors a member can read: raised by the domain, rendered once by the error handler."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action: the message says what was wrong and how to fix it.

    The error handler shows `str(error)` ephemerally. It must never contain personal data
    about anyone but the member who acted.
    """


class NotFound(UserError):
    """The thing named does not exist in this server."""


class Conflict(UserError):
    """The action clashes with the current state (already done, already sent, ...)."""
