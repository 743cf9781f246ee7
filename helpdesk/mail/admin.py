"""Admin over the email channel's records: read-only, since mail is what arrived or went out.
Quarantined mail can be downloaded whole for a look in a mail client."""

from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header

from helpdesk.mail.models import Attachment, OutboundEmail, QuarantinedEmail, ReceivedEmail


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReceivedEmail)
class ReceivedEmailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "sender", "subject", "outcome", "request"]
    list_filter = ["outcome"]
    search_fields = ["sender", "subject", "message_id"]
    raw_id_fields = ["request", "posted"]


@admin.register(QuarantinedEmail)
class QuarantinedEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "sender", "subject", "reason", "size", "download"]
    search_fields = ["received__sender", "received__subject", "reason"]
    exclude = ["raw"]
    readonly_fields = ["received", "reason", "created_at", "download"]
    list_select_related = ["received"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    @admin.display(ordering="received__sender")
    def sender(self, obj):
        return obj.received.sender

    @admin.display(ordering="received__subject")
    def subject(self, obj):
        return obj.received.subject

    @admin.display(ordering="received__size")
    def size(self, obj):
        return obj.received.size

    @admin.display(description="Raw message")
    def download(self, obj):
        url = reverse("admin:mail_quarantinedemail_raw", args=[obj.pk])
        return format_html('<a href="{}">Download .eml</a>', url)

    def get_urls(self):
        raw = self.admin_site.admin_view(self.raw_view)
        return [path("<int:pk>/raw/", raw, name="mail_quarantinedemail_raw"), *super().get_urls()]

    def raw_view(self, request, pk):
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        kept = get_object_or_404(QuarantinedEmail, pk=pk)
        response = HttpResponse(bytes(kept.raw), content_type="application/octet-stream")
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=f"quarantined-{kept.pk}.eml"
        )
        return response


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "filename", "content_type", "size", "request"]
    exclude = ["data"]
    raw_id_fields = ["request", "message", "received"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "to", "subject", "status", "attempts", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["to", "subject", "message_id"]
    raw_id_fields = ["request", "event"]
