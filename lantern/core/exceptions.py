class LanternError(Exception):
    """Base class for errors a user can be told about."""


class AccessDenied(LanternError):
    """The viewer may not see or do this. The message is safe to show: it never names hidden data."""


class ValidationFailed(LanternError):
    """Input was rejected; `errors` maps field names to messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
