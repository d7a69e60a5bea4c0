"""Behind a reverse proxy (KEDJA_TRUSTED_PROXIES=1), sign-in throttling counts the clients the
proxy names, not the proxy; without the setting a client cannot claim another address."""
from api import create_app


def _client(engine, monkeypatch, proxies: str | None):
    if proxies:
        monkeypatch.setenv("KEDJA_TRUSTED_PROXIES", proxies)
    else:
        monkeypatch.delenv("KEDJA_TRUSTED_PROXIES", raising=False)
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "proxy", "KEDJA_API_AUTH_LIMIT": "2 per minute"})
    return app.test_client()


def _fail(client, address):
    """A wrong API token from `address`, as the proxy at 10.9.9.9 forwards it."""
    return client.get("/api/v1/processes", headers={"Authorization": "Bearer wrong", "X-Forwarded-For": address},
                      environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code


def test_throttling_counts_the_clients_a_trusted_proxy_names(engine, monkeypatch):
    behind = _client(engine, monkeypatch, "1")
    assert [_fail(behind, "203.0.113.1") for _ in range(3)] == [401, 401, 429]
    assert _fail(behind, "203.0.113.2") == 401  # another client behind the same proxy
    direct = _client(engine, monkeypatch, None)
    assert [_fail(direct, f"203.0.113.{n}") for n in range(3, 6)] == [401, 401, 429]  # the header is ignored
