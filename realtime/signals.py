"""Losing access stops live updates at once: on logout, and when memberships change."""

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from helpdesk.models import StaffMembership
from realtime.consumers import session_hash
from realtime.publisher import deliver


@receiver(user_logged_out)
def close_sockets_of_session(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        deliver({"logout": session_hash(request.session.session_key)})


@receiver(post_save, sender=StaffMembership)
@receiver(post_delete, sender=StaffMembership)
def recheck_sockets_of_member(sender, instance, **kwargs):
    user_id = instance.user_id
    transaction.on_commit(lambda: deliver({"access": user_id}), robust=True)
