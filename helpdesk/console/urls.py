from django.urls import path

from helpdesk.console import notifications, views

app_name = "console"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/badge/", notifications.badge, name="notification_badge"),
    path("notifications/read/", notifications.mark_read, name="notifications_read"),
    path("r/<int:pk>/", views.request_page, name="request"),
    path("r/<int:pk>/history/", views.history, name="history"),
    path("r/<int:pk>/actions/", views.request_actions, name="request_actions"),
    path("r/<int:pk>/<slug:action>/", views.act, name="act"),
]
