from workflows.errors import InvalidInput, NotPermitted

MAX_TEXT = 20_000


def text(value, field, *, max_length=MAX_TEXT, required=True):
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{field} cannot be empty.")
    if len(value) > max_length:
        raise InvalidInput(f"{field} is too long ({len(value)} characters; at most {max_length}).")
    return value


def require(allowed, message):
    if not allowed:
        raise NotPermitted(message)
