from django.urls import path

from helpdesk.console import views

app_name = "console"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("r/<int:pk>/", views.request_page, name="request"),
    path("r/<int:pk>/actions/", views.request_actions, name="request_actions"),
    path("r/<int:pk>/<slug:action>/", views.act, name="act"),
]
