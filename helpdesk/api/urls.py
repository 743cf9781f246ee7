from django.urls import path, re_path, register_converter
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from helpdesk.api import views


class IdConverter:
    """Ids the database can hold: a longer number is simply not found (no overflow, no 500)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "api_id")

app_name = "api"
urlpatterns = [
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="schema",
    ),
    path("requests/", views.RequestListView.as_view(), name="requests"),
    path("requests/<api_id:pk>/", views.RequestDetailView.as_view(), name="request"),
    path("requests/<api_id:pk>/events/", views.EventFeedView.as_view(), name="events"),
    *(
        path(
            f"requests/<api_id:pk>/{action.name}/",
            views.action_view(views.RequestActionView, action).as_view(),
            name=action.name,
        )
        for action in views.REQUEST_ACTIONS
    ),
    *(
        path(
            f"requests/<api_id:pk>/tasks/<api_id:task_id>/{action.name}/",
            views.action_view(views.TaskActionView, action).as_view(),
            name=f"task-{action.name}",
        )
        for action in views.TASK_ACTIONS
    ),
    path("facts/", views.FactView.as_view(), name="facts"),
    re_path(r"^", views.not_found),
]
