"""What the Jupyter proxy sends upstream: Jupyter's own cookies pass, mlyard's session does not."""

from __future__ import annotations

import h11

from mlyard.server.routers.jupyter_proxy import COOKIE, _upstream_headers


def test_the_session_cookie_is_dropped_and_the_rest_is_a_valid_header() -> None:
    browser = [
        ("host", "127.0.0.1:8000"),
        ("cookie", f'{COOKIE}=mly_secret; username-x="2|1:0|abc"; _xsrf=2|d2|f8'),
        ("authorization", "Bearer mly_caller"),
    ]
    sent = _upstream_headers(browser, "jupyter-token")
    assert ("cookie", 'username-x="2|1:0|abc"; _xsrf=2|d2|f8') in sent
    assert not any("mly_secret" in v or "mly_caller" in v for _, v in sent)
    assert ("authorization", "token jupyter-token") in sent
    # The request h11 would write: a value with a leading space used to fail here (LocalProtocolError).
    h11.Request(method="GET", target="/lab", headers=[("host", "x"), *sent])


def test_only_the_session_cookie_means_no_cookie_header() -> None:
    sent = _upstream_headers([("cookie", f"{COOKIE}=mly_secret")], "t")
    assert [k for k, _ in sent] == ["authorization"]
