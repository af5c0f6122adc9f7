"""What a webhook POST puts on the wire for a URL: the pool target and the Host and Authorization
headers, as httpx would have written them."""

from __future__ import annotations

import base64

from orderdesk.core.outbound import _pool_target


def test_default_port__is_left_out_of_the_host_header() -> None:
    target, headers = _pool_target("https://hooks.example.com/in?x=1")
    assert headers == ((b"host", b"hooks.example.com"),)
    assert target.target == b"/in?x=1"
    assert target.port is None


def test_other_port_and_an_ipv6_address__are_written_as_in_the_url() -> None:
    _target, headers = _pool_target("http://[::1]:8443/in")
    assert headers == ((b"host", b"[::1]:8443"),)


def test_credentials_in_the_url__become_basic_authorization() -> None:
    _target, headers = _pool_target("https://us%40er:p%3Ass@hooks.example.com/in")
    assert dict(headers)[b"authorization"] == b"Basic " + base64.b64encode(b"us@er:p:ss")


def test_an_international_host__is_sent_in_its_ascii_form() -> None:
    target, headers = _pool_target("https://bücher.example/in")
    assert dict(headers)[b"host"] == b"xn--bcher-kva.example"
    assert target.host == b"xn--bcher-kva.example"
