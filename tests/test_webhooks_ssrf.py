"""Webhook targets: internal addresses in every spelling, names that resolve inside, DNS
rebinding and redirects are refused, at save and at send. No test sends traffic off this
machine: names go through a stub resolver, and only a loopback test server is ever reached."""

import pytest
from django.core.exceptions import ValidationError

from helpdesk.webhooks import delivery, ssrf
from helpdesk.webhooks.models import Delivery, WebhookEndpoint

PUBLIC_V4 = "93.184.216.34"  # a global address; no test connects to it
PUBLIC_V6 = "2606:4700:4700::1111"

DNS = {
    "public.example": [PUBLIC_V4],
    "public6.example": [PUBLIC_V6],
    "localhost": ["127.0.0.1", "::1"],
    "internal.example": ["10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC_V4, "127.0.0.1"],
    "mapped.example": ["::ffff:169.254.169.254"],
    "linklocal6.example": ["fe80::1%eth0"],
    "nothing.example": [],
}


def stub_resolver(host, port):
    if host not in DNS:
        raise OSError(f"stub resolver: unknown name {host}")
    return DNS[host]


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch):
    monkeypatch.setattr(ssrf, "system_resolver", stub_resolver)


def check(url):
    return ssrf.check_url(url)


REFUSED = [
    # loopback, spelled every way a resolver accepts
    "http://127.0.0.1/",
    "http://127.0.0.1./",
    "http://127.1/",
    "http://127.0.1/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://0X7F.0.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://0177.0.0.01/",
    "http://127.000.000.001/",
    "http://\u2460\u2461\u2466.0.0.1/",  # circled digits: IDNA folds them to 127.0.0.1
    "http://\uff11\uff12\uff17.0.0.1/",  # fullwidth digits
    "http://localhost/",
    "http://LOCALHOST./",
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a9fe:a9fe::1]/",
    # unspecified, private, shared, link-local, multicast, reserved, broadcast
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.1/",
    "http://0xc0a80101/",
    "http://3232235777/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fec0::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.1/",
    "http://198.18.0.1/",
    # names that resolve inside, or partly inside, or not at all
    "http://internal.example/",
    "http://metadata.example/",
    "http://mixed.example/",
    "http://mapped.example/",
    "http://linklocal6.example/",
    "http://nothing.example/",
    "http://unknown.example/",
    # malformed numbers are refused, never passed on to a resolver to guess
    "http://0x/",
    "http://08.0.0.1/",
    "http://1.2.3.4.5/",
    "http://256.1.1.1/",
    "http://1.16777216/",
    "http://4294967296/",
    "http://[::ffff:zz]/",
    # schemes, credentials, ports
    "ftp://public.example/",
    "file:///etc/passwd",
    "gopher://public.example/",
    "javascript:alert(1)",
    "http://user:pass@public.example/",
    "http://public.example@127.0.0.1/",
    "http://public.example:22/",
    "http://public.example:8080/",
    "https://public.example:6379/",
    "http://public.example:99999/",
    "http:///nohost",
    "",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_targets_are_refused(url):
    with pytest.raises(ssrf.UnsafeTarget):
        check(url)


@pytest.mark.parametrize(
    "url, address, host_header",
    [
        ("https://public.example/hook", PUBLIC_V4, "public.example"),
        ("http://public.example:80/x?a=1", PUBLIC_V4, "public.example"),
        ("https://PUBLIC.example./x", PUBLIC_V4, "public.example"),
        ("https://public6.example/", PUBLIC_V6, "public6.example"),
        (f"https://{PUBLIC_V4}/", PUBLIC_V4, PUBLIC_V4),
        (f"https://[{PUBLIC_V6}]/", PUBLIC_V6, f"[{PUBLIC_V6}]"),
    ],
)
def test_public_targets_are_pinned_to_the_checked_address(url, address, host_header):
    target = check(url)
    assert target.address == address
    assert target.host_header == host_header


def test_extra_ports_only_when_configured(settings):
    with pytest.raises(ssrf.UnsafeTarget):
        check("https://public.example:8443/")
    settings.NUCLEUS_WEBHOOKS_EXTRA_PORTS = [8443]
    assert check("https://public.example:8443/").port == 8443


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["http://127.1/", "http://internal.example/", "ftp://x.example/"])
def test_saving_an_internal_target_is_refused(url):
    with pytest.raises(ValidationError):
        WebhookEndpoint(url=url).save()
    with pytest.raises(ValidationError):
        WebhookEndpoint(url=url).full_clean()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_the_admin_form_says_why(admin_client):
    response = admin_client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"url": "http://internal.example/", "scope": "public", "event_types": "[]", "active": "on"},
    )
    assert response.status_code == 200
    assert "is not a public address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.fixture
def pending_delivery(new_request, monkeypatch):
    monkeypatch.setitem(DNS, "rebind.example", [PUBLIC_V4])
    endpoint = WebhookEndpoint.objects.create(url="https://rebind.example/hook")
    return Delivery.objects.create(endpoint=endpoint, event=new_request.events.first(), body="{}")


@pytest.mark.django_db
def test_dns_rebinding_after_save_is_refused_at_send(monkeypatch, pending_delivery):
    """The name was public when saved; now it answers 127.0.0.1: nothing is sent."""
    monkeypatch.setitem(DNS, "rebind.example", ["127.0.0.1"])

    def no_connection(*args, **kwargs):
        raise AssertionError("connected to a refused target")

    monkeypatch.setattr(ssrf, "open_connection", no_connection)
    delivery.attempt(pending_delivery.pk)
    pending_delivery.refresh_from_db()
    assert pending_delivery.state == Delivery.State.RETRYING
    assert pending_delivery.last_error.startswith("Refused: 127.0.0.1 is not a public address")


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    """One resolution per send: a resolver that would answer differently the second time is
    never asked again, and the socket opens to the first, checked answer."""
    answers = iter([[PUBLIC_V4], ["127.0.0.1"]])
    monkeypatch.setattr(ssrf, "system_resolver", lambda host, port: next(answers))
    opened = []

    class FakeConnection:
        def __init__(self, address, port, timeout):
            opened.append((address, port))

        def request(self, method, path, body, headers):
            opened.append(headers["Host"])

        def getresponse(self):
            raise OSError("stop here")

        def close(self):
            pass

    monkeypatch.setattr(ssrf.http.client, "HTTPConnection", FakeConnection)
    target = check("http://flip.example/hook")
    with pytest.raises(OSError):
        ssrf.post(target, b"{}", {}, timeout=1)
    assert opened == [(PUBLIC_V4, 80), "flip.example"]


def test_https_verifies_the_name_on_the_pinned_address():
    connection = ssrf.open_connection(check("https://public.example/"), timeout=1)
    assert isinstance(connection, ssrf.PinnedHTTPSConnection)
    assert (connection.host, connection.server_hostname) == (PUBLIC_V4, "public.example")
    assert connection._context.check_hostname and connection._context.verify_mode == 2


def test_pinned_sends_carry_the_name_in_the_host_header(receiver, monkeypatch):
    monkeypatch.setitem(DNS, "hooks.example", ["127.0.0.1"])
    target = check(f"http://hooks.example:{receiver.port}/in")
    status, _ = ssrf.post(target, b"{}", {}, timeout=5)
    assert status == 204
    assert receiver.received[0].headers["Host"] == f"hooks.example:{receiver.port}"


def test_the_test_flag_opens_loopback_only(receiver):
    assert check("http://127.0.0.1:1234/").address == "127.0.0.1"
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[::ffff:127.0.0.1]/"):
        with pytest.raises(ssrf.UnsafeTarget):
            check(url)


@pytest.mark.django_db
def test_redirects_are_not_followed(receiver, new_request):
    receiver.status = 302
    receiver.extra_headers = {"Location": f"http://127.0.0.1:{receiver.port}/internal"}
    endpoint = WebhookEndpoint.objects.create(url=receiver.url())
    sent = Delivery.objects.create(endpoint=endpoint, event=new_request.events.first(), body="{}")
    delivery.attempt(sent.pk)
    sent.refresh_from_db()
    assert [r.path for r in receiver.received] == ["/hook"]
    assert (sent.state, sent.last_status) == (Delivery.State.RETRYING, 302)
    assert "redirects are not followed" in sent.last_error
