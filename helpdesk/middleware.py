"""Domain errors become clear 4xx answers: a message for people, never a 500."""

from django.http import HttpResponse
from django.template.loader import render_to_string

from workflows.errors import Conflict, WorkflowError


class DomainErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, WorkflowError):
            return None
        context = {"error": exception, "is_conflict": isinstance(exception, Conflict)}
        if request.headers.get("Accept", "").startswith("application/json"):
            from django.http import JsonResponse

            body = {"error": exception.message}
            if isinstance(exception, Conflict):
                body |= {"state": exception.current_state, "allowed": exception.allowed}
            return JsonResponse(body, status=exception.status_code)
        html = render_to_string("errors/domain_error.html", context, request=request)
        response = HttpResponse(html, status=exception.status_code)
        if getattr(request, "htmx", False):
            # Show the message in the page's alert area instead of swapping it into the target.
            response["HX-Retarget"] = "#alerts"
            response["HX-Reswap"] = "innerHTML"
        return response
