"""No one reads or writes what is not theirs, against a real `homewidgets serve` process.

Push path: no token 401, a token nobody owns 401, another product's token 403, on every
route, and a refused call changes nothing. Read path with end-user JWTs on: no token,
a tampered, expired, foreign-key, `alg: none` or HS256-with-the-public-key token 401;
another user's valid token 403; and no refusal carries the user's data. SDUI: a
`javascript:` (or data:, vbscript:) URL is refused with a pointer; HTML in a text is kept
as text, served as JSON, and the web page shows it as text without running it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from homewidgets.registry import demo_token
from inprocess import CARD
from processes import Process, start_service

pytestmark = [pytest.mark.slow]

USER = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
OTHER = "9b2c1a36-5f6e-4c8e-9d3a-0a1b2c3d4e5f"
SECRET = "Offer only for Ada, account 4711"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
STRANGER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
HTML = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"><b>bold</b>'


def token(sub: str = USER, *, key: Any = KEY, exp_in: float = 300, kid: str = "k1") -> str:
    now = int(time.time())
    claims = {"sub": sub, "aud": "homewidgets", "exp": now + int(exp_in), "iat": now}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def with_claims(original: str, **changes: Any) -> str:
    """The same header and signature around a payload with `changes`: a forgery."""
    header, payload, signature = original.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join((header, b64({**claims, **changes}), signature))


def unsigned(sub: str = USER) -> str:
    claims = {"sub": sub, "aud": "homewidgets", "exp": int(time.time()) + 300}
    return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{b64(claims)}."


def hs256_with_public_key(sub: str = USER) -> str:
    """The algorithm-confusion attack: HMAC 'signed' with the server's public key."""
    claims = {"sub": sub, "aud": "homewidgets", "exp": int(time.time()) + 300}
    header = b64({"alg": "HS256", "typ": "JWT", "kid": "k1"})
    body = f"{header}.{b64(claims)}"
    mac = hmac.new(PUBLIC_PEM, body.encode(), hashlib.sha256).digest()
    return f"{body}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def product_auth(product: str) -> dict[str, str]:
    return bearer(demo_token(product))


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """The service with end-user JWTs on (a JWKS file), on the embedded L2."""
    directory = tmp_path_factory.mktemp("security")
    jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
    jwks = directory / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
    process = start_service(directory, {"HOMEWIDGETS_JWT_JWKS": str(jwks)})
    secret = {**CARD, "title": SECRET}
    answer = httpx.put(
        f"{process.url}/v1/products/energy/widgets/{USER}",
        json={"content": secret, "version": 5},
        headers=product_auth("energy"),
    )
    assert answer.status_code == 200, answer.text
    yield process
    process.stop()


def energy_widget(service: Process) -> dict[str, Any] | None:
    home = httpx.get(f"{service.url}/v1/home/{USER}", headers=bearer(token())).json()
    return next((w for w in home["widgets"] if w["product"] == "energy"), None)


# -- the push path -----------------------------------------------------------------------

PUSH_ROUTES: list[tuple[str, str, Any]] = [
    ("PUT", f"/v1/products/energy/widgets/{USER}", {"content": CARD, "version": 99}),
    ("DELETE", f"/v1/products/energy/widgets/{USER}", None),
    ("PUT", "/v1/products/energy/generic", {"content": CARD, "version": 99}),
    (
        "POST",
        "/v1/products/energy/widgets:batch",
        {"items": [{"user_id": USER, "content": CARD, "version": 99}]},
    ),
    ("GET", "/v1/products/energy/events", None),
]
NOT_AUTHENTICATED: list[tuple[str, dict[str, str]]] = [
    ("no token", {}),
    ("basic auth", {"authorization": "Basic ZW5lcmd5OnRva2Vu"}),
    ("empty bearer", {"authorization": "Bearer"}),
    ("unknown token", bearer("demo-energy-token-guess")),
    ("a user's JWT", bearer(token())),
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    PUSH_ROUTES,
    ids=[f"{m} {p.rsplit('/', 1)[-1]}" for m, p, _ in PUSH_ROUTES],
)
def test_push_routes_refuse_missing_or_unknown_tokens_with_401_and_change_nothing(
    service: Process, method: str, path: str, body: Any
) -> None:
    for name, headers in NOT_AUTHENTICATED:
        answer = httpx.request(method, service.url + path, json=body, headers=headers)
        assert answer.status_code == 401, (name, answer.text)
        assert answer.headers["www-authenticate"].lower().startswith("bearer")
        assert answer.json()["error"] == "unauthorized"
    widget = energy_widget(service)
    assert widget is not None and widget["version"] == 5 and widget["personalised"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    PUSH_ROUTES,
    ids=[f"{m} {p.rsplit('/', 1)[-1]}" for m, p, _ in PUSH_ROUTES],
)
def test_push_routes_refuse_another_products_token_with_403_and_change_nothing(
    service: Process, method: str, path: str, body: Any
) -> None:
    answer = httpx.request(method, service.url + path, json=body, headers=product_auth("flights"))
    assert answer.status_code == 403, answer.text
    assert answer.json()["error"] == "forbidden"
    assert SECRET not in answer.text
    widget = energy_widget(service)
    assert widget is not None and widget["version"] == 5 and widget["personalised"]


# -- the read path with end-user JWTs ------------------------------------------------------

BAD_USER_TOKENS: list[tuple[str, Any, int]] = [
    ("no token", lambda: {}, 401),
    ("not bearer", lambda: {"authorization": f"JWT {token()}"}, 401),
    ("garbage", lambda: bearer("not.a.jwt"), 401),
    ("expired", lambda: bearer(token(exp_in=-3600)), 401),
    ("tampered signature", lambda: bearer(token()[:-6] + "AAAAAA"), 401),
    ("tampered subject", lambda: bearer(with_claims(token(OTHER), sub=USER)), 401),
    ("tampered expiry", lambda: bearer(with_claims(token(exp_in=-3600), exp=2**31)), 401),
    ("signed by another key", lambda: bearer(token(key=STRANGER_KEY)), 401),
    ("unknown kid", lambda: bearer(token(kid="k9")), 401),
    ("alg none", lambda: bearer(unsigned()), 401),
    ("HS256 with the public key", lambda: bearer(hs256_with_public_key()), 401),
    ("another user's token", lambda: bearer(token(OTHER)), 403),
]
READ_PATHS = [f"/v1/home/{USER}", f"/get_recommendations/{USER}", f"/v1/home/{USER}/events"]


@pytest.mark.parametrize(
    ("name", "headers", "status"), BAD_USER_TOKENS, ids=[t[0] for t in BAD_USER_TOKENS]
)
def test_a_users_home_is_refused_to_anyone_but_that_user(
    service: Process, name: str, headers: Any, status: int
) -> None:
    for path in READ_PATHS:
        # A stream (the events route) would stay open if allowed: read only its start.
        with httpx.stream("GET", service.url + path, headers=headers(), timeout=5) as answer:
            body = answer.read() if answer.status_code != 200 else b""
        assert answer.status_code == status, (name, path, body[:200])
        assert SECRET.encode() not in body and USER.encode() not in body
        if status == 401:
            assert answer.headers["www-authenticate"].lower().startswith("bearer")


def test_the_user_themself_reads_their_home_with_a_valid_token(service: Process) -> None:
    for path in READ_PATHS[:2]:
        answer = httpx.get(service.url + path, headers=bearer(token()))
        assert answer.status_code == 200
        assert SECRET in answer.text
    with httpx.stream(
        "GET", service.url + READ_PATHS[2], headers=bearer(token()), timeout=5
    ) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            if line.startswith("data: "):
                assert SECRET in line
                break


def test_events_can_be_reported_only_as_oneself(service: Process) -> None:
    event = {"events": [{"type": "click", "product": "energy", "user_id": USER}]}
    url = f"{service.url}/v1/events"
    assert httpx.post(url, json=event, headers=bearer(token())).status_code == 202
    assert httpx.post(url, json=event, headers=bearer(token(OTHER))).status_code == 403
    assert httpx.post(url, json=event).status_code == 401
    assert httpx.post(url, json=event, headers=bearer(token(exp_in=-3600))).status_code == 401


def test_a_product_reads_only_its_own_event_stream(service: Process) -> None:
    url = f"{service.url}/v1/products/energy/events?after=0"
    assert httpx.get(url, headers=product_auth("energy")).status_code == 200
    assert httpx.get(url, headers=product_auth("flights")).status_code == 403
    assert httpx.get(url).status_code == 401


# -- SDUI: dangerous URLs refused, HTML kept inert -------------------------------------------

DANGEROUS_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/\\evil.example",
    "http://insecure.example/",
]


def button_to(url: str) -> dict[str, Any]:
    return {"type": "button", "label": "Go", "action": {"type": "navigate", "url": url}}


@pytest.mark.parametrize("url", DANGEROUS_URLS)
def test_a_widget_with_a_dangerous_url_is_refused_with_a_pointer_and_not_stored(
    service: Process, url: str
) -> None:
    placements = {
        "/content/action/url": button_to(url),
        "/content/image/url": {**CARD, "image": {"type": "image", "url": url, "alt": "x"}},
        "/content/actions/0/action/url": {**CARD, "actions": [button_to(url)]},
    }
    for pointer, content in placements.items():
        answer = httpx.put(
            f"{service.url}/v1/products/energy/widgets/{USER}",
            json={"content": content, "version": 98},
            headers=product_auth("energy"),
        )
        assert answer.status_code == 422, (url, answer.text)
        problems = answer.json()["problems"]
        assert any(p["pointer"] == pointer for p in problems), (url, problems)
    widget = energy_widget(service)
    assert widget is not None and widget["version"] == 5


def test_html_in_a_text_is_stored_as_text_and_served_only_as_json(service: Process) -> None:
    user = str(uuid.uuid4())
    content = {
        "type": "section",
        "title": HTML,
        "children": [{"type": "text", "text": HTML}, button_to("/offers?a=1&b=<x>")],
    }
    answer = httpx.put(
        f"{service.url}/v1/products/energy/widgets/{user}",
        json={"content": content},
        headers=product_auth("energy"),
    )
    if answer.status_code == 422:  # refusing it would be fine too
        return
    assert answer.status_code == 200, answer.text
    home = httpx.get(f"{service.url}/v1/home/{user}", headers=bearer(token(user)))
    assert home.headers["content-type"] == "application/json"
    widget = next(w for w in home.json()["widgets"] if w["product"] == "energy")
    assert widget["content"]["children"][0]["text"] == HTML  # data, exactly as pushed


@pytest.fixture(scope="module")
def open_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """A service without end-user auth, for the web page (it reads homes by user id)."""
    process = start_service(tmp_path_factory.mktemp("page"))
    yield process
    process.stop()


@pytest.mark.browser
def test_the_web_page_shows_pushed_html_as_text_and_runs_none_of_it(
    open_service: Process, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium")
    user = str(uuid.uuid4())
    content = {"type": "card", "title": HTML, "children": [{"type": "text", "text": HTML}]}
    answer = httpx.put(
        f"{open_service.url}/v1/products/energy/widgets/{user}",
        json={"content": content},
        headers=product_auth("energy"),
    )
    assert answer.status_code == 200, answer.text
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(base_url=open_service.url)
            dialogs: list[str] = []

            def dismiss(dialog: Any) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", dismiss)
            page.goto(f"/?user={user}")
            widget = page.locator('.widget[data-product="energy"]')
            widget.get_by_text("window.pwned=1", exact=False).first.wait_for(timeout=10_000)
            assert HTML in widget.inner_text()
            assert widget.locator("script, img[src='x'], b").count() == 0
            page.wait_for_timeout(300)
            assert page.evaluate("window.pwned") is None
            assert dialogs == []
        finally:
            browser.close()
