from django.urls import path

from helpdesk.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.task_list, name="tasks"),
]
