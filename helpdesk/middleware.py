"""Errors become clear answers: a message for people, never a 500 page swapped into a form."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from workflows.errors import Conflict, WorkflowError

GENERIC_MESSAGES = {
    400: "That did not work: the request was not understood.",
    403: "You are not allowed to do that.",
    404: "That no longer exists, or you cannot see it.",
    405: "That action cannot be done this way.",
    413: "That is too large.",
    429: "Too many attempts; please wait a moment.",
}
SESSION_EXPIRED = (
    "Your session expired. Your text is still here: "
    "log in again in another tab, then send it again."
)


def alert(request, message, status, *, error=None):
    """An alert for the page's #alerts area; htmx puts it there instead of in the target."""
    html = render_to_string(
        "errors/domain_error.html",
        {"error": error, "message": message, "is_conflict": isinstance(error, Conflict)},
        request=request,
    )
    response = HttpResponse(html, status=status)
    response["HX-Retarget"] = "#alerts"
    response["HX-Reswap"] = "innerHTML"
    return response


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "htmx", False) and "HX-Retarget" not in response:
            response = self._for_htmx(request, response)
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, WorkflowError):
            return None
        if request.headers.get("Accept", "").startswith("application/json"):
            body = {"error": exception.message}
            if isinstance(exception, Conflict):
                body |= {"state": exception.current_state, "allowed": exception.allowed}
            return JsonResponse(body, status=exception.status_code)
        return alert(request, exception.message, exception.status_code, error=exception)

    def _for_htmx(self, request, response):
        """Never swap a login page or an error page into a form the user was typing in."""
        login_redirect = response.status_code in (301, 302) and response.get(
            "Location", ""
        ).startswith(settings.LOGIN_URL)
        csrf_failure = response.status_code == 403 and b"CSRF" in response.content
        if login_redirect or csrf_failure:
            return alert(request, SESSION_EXPIRED, 401)
        if response.status_code >= 400:
            message = GENERIC_MESSAGES.get(response.status_code, "Something went wrong.")
            return alert(request, message, response.status_code)
        return response
