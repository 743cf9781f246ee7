from django.contrib import admin
from django.db import models
from django.urls import reverse

from helpdesk.api.admin import show_secret_once
from helpdesk.webhooks.models import Delivery, WebhookEndpoint, new_secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """The signing secret is shown once, when created or rotated; the receiver keeps it."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("url", "scope", "active", "description", "created_at")
    list_filter = ("scope", "active")
    actions = ["rotate_secret"]

    def response_add(self, request, obj, post_url_continue=None):
        return show_secret_once(
            request,
            what="Webhook signing secret",
            owner=obj.url,
            secret=obj.secret,
            back=reverse("admin:webhooks_webhookendpoint_changelist"),
        )

    @admin.action(description="Rotate the signing secret (one endpoint)")
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Rotate one endpoint at a time.", level="error")
            return None
        endpoint = queryset.get()
        endpoint.secret = new_secret()
        endpoint.save(update_fields=["secret_encrypted"])
        return show_secret_once(
            request,
            what="New webhook signing secret",
            owner=endpoint.url,
            secret=endpoint.secret,
            back=reverse("admin:webhooks_webhookendpoint_changelist"),
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "endpoint", "state", "attempts", "last_status", "created_at")
    list_filter = ("state", "endpoint")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
