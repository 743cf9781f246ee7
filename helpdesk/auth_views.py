"""The login page with a brake on password guessing.

Django's LoginView already answers alike for unknown users and wrong passwords and only follows
`next=` to this host; what it lacks is a limit. Only failures count, per client address and per
username tried, so one person's typos do not lock out a colleague behind the same address for
long. Once a limit is reached even a correct password is refused (429) until the window passes:
otherwise the limit would tell a guesser which password was right.
"""

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django_ratelimit.core import get_usage

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
