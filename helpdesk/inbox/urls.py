from django.urls import path

from helpdesk.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.task_list, name="tasks"),
    path("t/<int:pk>/", views.task_page, name="task"),
    path("t/<int:pk>/panel/", views.task_panel, name="task_panel"),
    path("t/<int:pk>/<slug:action>/", views.act, name="act"),
]
