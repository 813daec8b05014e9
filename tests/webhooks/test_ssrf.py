"""The SSRF guard: what it refuses, at creation and at send time, and that it pins what it checked.

A canary listener on loopback records every request; nothing the guard
refuses may ever reach it.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from apps.webhooks.models import DeliveryStatus, WebhookEndpoint
from apps.webhooks.services import webhook_delivery_attempt, webhook_emit
from apps.webhooks.ssrf import UnsafeTarget, address_problem, parse_webhook_url, resolve_target

from .conftest import self_signed


def _loopback_spellings(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://LocalHost:{port}/",
        f"http://2130706433:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://0177.0.0.1:{port}/",
        f"http://127.1:{port}/",
        f"http://127.0.0.2:{port}/",
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"https://127.0.0.1:{port}/",
    ]


REFUSED_ADDRESSES = {
    "http://169.254.169.254/latest/meta-data/": "link-local",
    "http://[fe80::1]/": "link-local",
    "http://10.0.0.1/": "private",
    "http://172.16.5.4/": "private",
    "http://192.168.1.1/": "private",
    "http://[fc00::1]/": "private",
    "http://[fd12:3456::1]/": "private",
    "http://100.64.0.1/": "carrier-grade NAT",
    "http://0.0.0.0/": "unspecified",
    "http://[::]/": "unspecified",
    "http://224.0.0.1/": "multicast",
    "http://[ff02::1]/": "multicast",
    "http://240.0.0.1/": "reserved",
    "http://[::ffff:169.254.169.254]/": "IPv4-mapped",
    "http://[::ffff:10.0.0.1]/": "IPv4-mapped",
    "http://[2002:7f00:1::]/": "embedding a loopback",
    "http://[64:ff9b::a9fe:a9fe]/": "reserved",
}


@pytest.mark.django_db
def test_every_loopback_spelling_is_refused_at_creation(canary, make_endpoint):
    for url in _loopback_spellings(canary.port):
        with pytest.raises(ValidationError) as caught:
            make_endpoint(url)
        assert "loopback" in " ".join(caught.value.message_dict["url"]), url
    assert not WebhookEndpoint.objects.exists()
    assert canary.requests == []


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "why"), REFUSED_ADDRESSES.items())
def test_internal_addresses_are_refused_at_creation(make_endpoint, url, why):
    with pytest.raises(ValidationError) as caught:
        make_endpoint(url)
    message = " ".join(caught.value.message_dict["url"])
    assert why in message
    assert "WEBHOOK_ALLOWED_HOSTS" in message


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/", "Only http:// and https://"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://example.com/", "Only http:// and https://"),
        ("//example.com/hook", "Only http:// and https://"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http://user@example.com/", "user name or password"),
        ("http://169.254.169.254@example.com/", "user name or password"),
        ("http:///hook", "no host"),
        ("http://exa mple.com/", "spaces or control"),
        ("http://example.com/\r\nX-Injected: 1", "spaces or control"),
        ("http://bücher.example/", "ASCII"),
        ("http://example.com:0/", "Port 0"),
        ("http://example.com:99999/", "not a valid URL"),
        ("http://example.com:8o/", "not a valid URL"),
        ("http://[::1/", "not a valid URL"),
        ("http://exa%6dple.com/", "not allowed"),
        ("http://[fe80::1%25eth0]/", "not allowed"),
        ("", "Enter the URL"),
    ],
)
def test_malformed_urls_are_refused(url, why):
    with pytest.raises(UnsafeTarget, match=why):
        parse_webhook_url(url)


def test_a_url_is_parsed_into_host_port_and_request_target():
    parsed = parse_webhook_url("HTTPS://CMS.Example.com:8443/hooks/in?token=a#frag")
    assert (parsed.scheme, parsed.host, parsed.port) == ("https", "cms.example.com", 8443)
    assert parsed.request_target == "/hooks/in?token=a"
    assert parse_webhook_url("http://example.com").request_target == "/"
    assert parse_webhook_url("http://example.com").port == 80


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address):
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "100.127.255.255",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not a bind
        "192.0.2.1",
        "198.18.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:a00:1::",
        "2001:db8::1",
    ],
)
def test_internal_addresses_have_a_problem(address):
    assert address_problem(ipaddress.ip_address(address)) is not None


def test_a_public_ip_literal_is_accepted_without_any_lookup():
    target = resolve_target("https://93.184.216.34/hook")
    assert target.addresses == ((socket.AF_INET, ("93.184.216.34", 443)),)
    assert target.allow_listed is False


def test_every_resolved_address_is_checked(fake_dns):
    fake_dns.set("mixed.test", ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(UnsafeTarget, match=r"private address \(10\.0\.0\.7\)"):
        resolve_target("http://mixed.test/")


def test_an_unresolvable_host_is_refused(fake_dns):
    fake_dns.set("nothing.test", [])
    with pytest.raises(UnsafeTarget, match="no IPv4 or IPv6 address"):
        resolve_target("http://nothing.test/")
    fake_dns.set("broken.test")  # the resolver fails
    with pytest.raises(UnsafeTarget, match="could not be resolved"):
        resolve_target("http://broken.test/")


# --- The allow-list ---------------------------------------------------------------


def test_a_cidr_entry_admits_addresses_inside_it_only(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["10.20.0.0/16"]
    assert resolve_target("http://10.20.3.4:8080/hook").allow_listed
    assert resolve_target("http://[::ffff:10.20.3.4]/hook").allow_listed
    with pytest.raises(UnsafeTarget):
        resolve_target("http://10.21.0.1/")


def test_a_host_name_entry_admits_that_name_but_not_link_local(settings, fake_dns):
    settings.WEBHOOK_ALLOWED_HOSTS = ["cms.corp.test", "meta.corp.test"]
    fake_dns.set("cms.corp.test", ["10.0.0.5"])
    fake_dns.set("cms.corp.test.", ["10.0.0.5"])
    fake_dns.set("other.corp.test", ["10.0.0.5"])
    fake_dns.set("meta.corp.test", ["169.254.169.254"])
    assert resolve_target("http://cms.corp.test/").allow_listed
    assert resolve_target("http://CMS.corp.test./").allow_listed
    with pytest.raises(UnsafeTarget):
        resolve_target("http://other.corp.test/")  # same address, name not listed
    with pytest.raises(UnsafeTarget, match="link-local"):
        resolve_target("http://meta.corp.test/")
    with pytest.raises(UnsafeTarget):
        resolve_target("http://10.0.0.5/")  # the name, not the address, is listed


# --- At send time: the canary must hear nothing ------------------------------------


@pytest.mark.django_db
def test_send_time_check_refuses_targets_that_became_internal(
    settings, canary, make_endpoint, project
):
    """DNS or the allow-list may change after creation: every attempt checks again."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    endpoint = make_endpoint(canary.url(), events=["job.completed"]).endpoint
    settings.WEBHOOK_ALLOWED_HOSTS = []
    for url in _loopback_spellings(canary.port):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=url)
        (delivery,) = webhook_emit(project=project, event="job.completed", payload={})
        delivery = webhook_delivery_attempt(delivery_id=delivery.pk)
        assert delivery.status == DeliveryStatus.FAILED, url
        assert delivery.last_error.startswith("Refused:"), url
        assert "loopback" in delivery.last_error
        assert delivery.last_status_code is None
    assert canary.requests == []


@pytest.mark.django_db
def test_redirects_are_not_followed(settings, serve, canary, make_endpoint, project):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    redirector = serve()
    redirector.status = 302
    redirector.headers = {"Location": f"http://localhost:{canary.port}/steal"}
    make_endpoint(redirector.url(), events=["asset.approved"])
    (delivery,) = webhook_emit(project=project, event="asset.approved", payload={"asset": "a"})

    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert len(redirector.requests) == 1
    assert canary.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code == 302
    assert delivery.last_error.startswith("Redirects are not followed")
    assert f"localhost:{canary.port}/steal" in delivery.last_error


# --- Pinning -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_connection_goes_to_the_checked_address_not_a_second_lookup(
    settings, serve, fake_dns, make_endpoint, project
):
    """DNS rebinding: the name answers an admitted address when checked and an internal
    one afterwards. The request must reach the checked address, with the name as Host."""
    try:
        trap = serve(host="127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not usable here")
    receiver = serve(host="127.0.0.1", port=trap.port)
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    url = f"http://rebind.test:{receiver.port}/hook"
    fake_dns.set("rebind.test", ["127.0.0.1"])
    make_endpoint(url, events=["job.failed"])
    (delivery,) = webhook_emit(project=project, event="job.failed", payload={})
    fake_dns.calls.clear()
    fake_dns.set("rebind.test", ["127.0.0.1"], ["127.0.0.2"])  # checked, then "rebound"

    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert fake_dns.calls == {"rebind.test": 1}
    assert trap.requests == []
    (request,) = receiver.requests
    assert request.headers["Host"] == f"rebind.test:{receiver.port}"


@pytest.mark.django_db
def test_https_is_pinned_with_sni_and_certificate_checked_for_the_host_name(
    settings, serve, fake_dns, make_endpoint, project, tmp_path
):
    cert = self_signed(tmp_path, "cms.corp.test")
    receiver = serve(tls=cert.server_context())
    settings.WEBHOOK_ALLOWED_HOSTS = ["cms.corp.test"]
    settings.WEBHOOK_CA_BUNDLE = str(cert.cert)
    fake_dns.set("cms.corp.test", ["127.0.0.1"])
    new = make_endpoint(f"https://cms.corp.test:{receiver.port}/in", events=["job.completed"])
    assert new.endpoint.allowed_private
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})

    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert delivery.status == DeliveryStatus.SUCCEEDED, delivery.last_error
    assert receiver.server_names == ["cms.corp.test"]
    (request,) = receiver.requests
    assert request.headers["Host"] == f"cms.corp.test:{receiver.port}"
    assert request.path == "/in"


@pytest.mark.django_db
def test_https_refuses_a_certificate_for_another_name(
    settings, serve, fake_dns, make_endpoint, project, tmp_path
):
    cert = self_signed(tmp_path, "impostor.test")
    receiver = serve(tls=cert.server_context())
    settings.WEBHOOK_ALLOWED_HOSTS = ["cms.corp.test"]
    settings.WEBHOOK_CA_BUNDLE = str(cert.cert)
    fake_dns.set("cms.corp.test", ["127.0.0.1"])
    make_endpoint(f"https://cms.corp.test:{receiver.port}/in", events=["job.completed"])
    (delivery,) = webhook_emit(project=project, event="job.completed", payload={})

    delivery = webhook_delivery_attempt(delivery_id=delivery.pk)

    assert delivery.status == DeliveryStatus.FAILED
    assert "SSLCertVerificationError" in delivery.last_error
    assert receiver.requests == []
