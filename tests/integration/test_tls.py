"""The shipped TLS settings, as a client meets them: TLS 1.2+, HTTP/2 by ALPN, HSTS everywhere."""
import socket
import ssl

import pytest


def handshake(stack, minimum, maximum, alpn=None, ciphers=None):
    ctx = ssl.create_default_context(cafile=stack.ca)
    ctx.minimum_version, ctx.maximum_version = minimum, maximum
    if ciphers:
        ctx.set_ciphers(ciphers)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    port = int(stack.env["COFFER_HTTPS_PORT"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.version(), s.selected_alpn_protocol()


def test_tls12_and_tls13_with_http2(stack):
    v = ssl.TLSVersion
    assert handshake(stack, v.TLSv1_3, v.TLSv1_3, ["h2", "http/1.1"]) == ("TLSv1.3", "h2")
    assert handshake(stack, v.TLSv1_2, v.TLSv1_2, ["h2", "http/1.1"]) == ("TLSv1.2", "h2")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls11_refused(stack):
    # The client side is opened up as far as OpenSSL allows (this client
    # completes a TLS 1.1 handshake with `openssl s_server -tls1_1`), so a
    # refusal is the server's ssl_protocols.
    v = ssl.TLSVersion
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake(stack, v.TLSv1, v.TLSv1_1, ciphers="DEFAULT:@SECLEVEL=0")


def test_hsts_on_errors_too(stack):
    for path in ("/healthz", "/nope", "/api/whoami", "/_auth"):
        r = stack.get(path)
        assert "max-age=63072000" in r.headers.get("Strict-Transport-Security", ""), path
        assert r.headers.get("X-Content-Type-Options") == "nosniff", path
