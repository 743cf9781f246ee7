"""Domain errors: the web layer maps each to a clear 4xx answer."""


class WorkflowError(Exception):
    status_code = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class InvalidInput(WorkflowError):
    status_code = 400


class NotPermitted(WorkflowError):
    status_code = 403


class NotFound(WorkflowError):
    status_code = 404


class Conflict(WorkflowError):
    """The request moved on: the action no longer fits its state. Nothing was written."""

    status_code = 409

    def __init__(self, message, *, current_state="", allowed=()):
        super().__init__(message)
        self.current_state = current_state
        self.allowed = list(allowed)

    def __str__(self):
        allowed = ", ".join(self.allowed) or "none"
        return f"{self.message} (state: {self.current_state}; allowed now: {allowed})"
