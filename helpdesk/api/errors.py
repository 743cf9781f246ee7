"""Every API error is JSON with an "error" message; a conflict also names the state it is in
and the actions allowed from there. Known failures never become a 500."""

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from workflows.errors import Conflict, WorkflowError


def api_exception_handler(exc, context):
    if isinstance(exc, WorkflowError):
        body = {"error": exc.message}
        if isinstance(exc, Conflict):
            body |= {"state": exc.current_state, "allowed": exc.allowed}
        return Response(body, status=exc.status_code)
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"error": "Invalid input.", "fields": response.data}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"error": str(response.data["detail"])}
    return response
