"""Mounted at the site root, before the status pages: /status/resend/ must not be read as a
status token."""

from django.urls import path

from helpdesk.mail import views

app_name = "mail"
urlpatterns = [
    path("status/resend/", views.resend_status_link, name="resend"),
    path(
        "console/r/<int:pk>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("mail/inbound/", views.inbound, name="inbound"),
]
