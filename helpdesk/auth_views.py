"""The login and password-reset pages, with brakes on guessing and on mailbox flooding.

Django's LoginView already answers alike for unknown users and wrong passwords and only follows
`next=` to this host; what it lacks is a limit. Only failures count, per client address and per
username tried, so one person's typos do not lock out a colleague behind the same address for
long. Once a limit is reached even a correct password is refused (429) until the window passes:
otherwise the limit would tell a guesser which password was right.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django_ratelimit.core import get_usage

from helpdesk.mail.outbound import automatic_headers
from helpdesk.ratelimits import over_limit

FAILED_LOGIN_RATES = {"ip": "30/15m", "username": "5/15m"}
LIMITED_MESSAGE = "Too many failed log-in attempts. Please wait 15 minutes and try again."


def _username_key(group, request):
    return request.POST.get("username", "").strip().lower()


def _over_limit(request, *, count_failure):
    """True once a tally has reached its limit; count_failure adds this attempt first."""
    reached = False
    for name, rate in FAILED_LOGIN_RATES.items():
        usage = get_usage(
            request,
            group=f"login.failed.{name}",
            key=_username_key if name == "username" else "ip",
            rate=rate,
            increment=count_failure,
        )
        reached = reached or bool(usage and usage["count"] >= usage["limit"])
    return reached


class LimitedAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": LIMITED_MESSAGE,
    }

    def clean(self):
        if _over_limit(self.request, count_failure=False):
            raise ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            return super().clean()
        except ValidationError:
            _over_limit(self.request, count_failure=True)
            raise


class LoginView(auth_views.LoginView):
    form_class = LimitedAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "rate_limited"):
            response.status_code = 429
        return response


RESET_RATES = {"ip": "20/h", "email": "3/h"}
RESET_LIMITED_MESSAGE = "Too many password reset requests. Please wait an hour and try again."


class AutomaticPasswordResetForm(PasswordResetForm):
    """Django's form, its email marked automatic like every other email Nucleus sends."""

    def send_mail(self, subject_template, email_template, context, from_email, to_email, **_):
        subject = "".join(render_to_string(subject_template, context).splitlines())
        body = render_to_string(email_template, context)
        message = EmailMessage(subject, body, from_email, [to_email], headers=automatic_headers())
        message.send()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset by email, which answers alike whether or not the address is a colleague's,
    with a limit per client and per address so it cannot flood anyone's mailbox."""

    form_class = AutomaticPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"

    def post(self, request, *args, **kwargs):
        if over_limit(request, "password_reset", RESET_RATES, "email"):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, RESET_LIMITED_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)
