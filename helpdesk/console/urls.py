from django.urls import path

from helpdesk.console import views

app_name = "console"
urlpatterns = [
    path("", views.queue, name="queue"),
]
