"""The project's own error type.

A :class:`PipelineError` is something a researcher can fix (a file, a value,
a missing step); the command line prints its message on one line.  Any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class PipelineError(Exception):
    """An input or parameter that cannot be used; the message says which and what to do."""


class ParamError(PipelineError, ValueError):
    """A parameter file or value that cannot be used; the message says which."""


class NothingRead(PipelineError):
    """No document of the corpus could be read."""


class AuditFailed(PipelineError):
    """A strict run (``--strict-audit``) found documents with error-severity audit findings."""


class ArtifactMissing(PipelineError, FileNotFoundError):
    """An artifact a step needs has not been made yet."""
