"""Login throttling on (account, client address): a stranger's wrong passwords slow the
stranger down, not the account's owner on another address."""

from __future__ import annotations

PASSWORD = "correct horse battery"
ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
OWNER = {"REMOTE_ADDR": "198.51.100.7"}


def _login(client, email: str, password: str = PASSWORD, environ=None):
    return client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        environ_base=environ or {},
    )


def test_stranger_cannot_lock_the_owner_out(client, make_user):
    make_user("engineer", email="gina@example.com")
    answers = [_login(client, "gina@example.com", "guess", ATTACKER).status_code for _ in range(12)]
    # A few free guesses, then the attacker's address waits.
    assert answers[:3] == [401, 401, 401] and answers[-1] == 429
    blocked = _login(client, "gina@example.com", PASSWORD, ATTACKER)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert blocked.json["code"] == 429 and "try again" in blocked.json["message"]
    # The engineer, from their phone, is not affected.
    assert _login(client, "gina@example.com", PASSWORD, OWNER).status_code == 200


def test_success_resets_the_pair(client, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_BACKOFF_FREE_FAILURES", 2)
    make_user("engineer", email="hank@example.com")
    for _ in range(2):
        assert _login(client, "hank@example.com", "typo", OWNER).status_code == 401
    assert _login(client, "hank@example.com", PASSWORD, OWNER).status_code == 200
    # The counter started again: two more typos are free, the third failure arms the delay.
    for _ in range(3):
        assert _login(client, "hank@example.com", "typo", OWNER).status_code == 401
    assert _login(client, "hank@example.com", PASSWORD, OWNER).status_code == 429


def test_delay_grows_exponentially_and_is_capped():
    from backend.accounts.throttle import Backoff

    policy = Backoff(free_failures=3, base_s=2, max_s=60, window_s=3600)
    assert [policy.delay(n) for n in range(1, 10)] == [0, 0, 0, 2, 4, 8, 16, 32, 60]


def test_retry_after_grows_with_each_failure(client, make_user, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_BACKOFF_FREE_FAILURES", 1)
    monkeypatch.setitem(app.config, "LOGIN_BACKOFF_BASE_S", 10)
    from backend.accounts.throttle import login_throttle

    make_user("engineer", email="ivy@example.com")
    assert _login(client, "ivy@example.com", "x", ATTACKER).status_code == 401  # free
    assert _login(client, "ivy@example.com", "x", ATTACKER).status_code == 401  # arms 10 s
    first = _login(client, "ivy@example.com", "x", ATTACKER)
    assert first.status_code == 429 and 5 <= int(first.headers["Retry-After"]) <= 10
    # Let the delay lapse without sleeping: the next failure doubles it.
    with app.test_request_context():
        login_throttle().lift_delay("ivy@example.com", ATTACKER["REMOTE_ADDR"])
    assert _login(client, "ivy@example.com", "x", ATTACKER).status_code == 401
    second = _login(client, "ivy@example.com", "x", ATTACKER)
    assert second.status_code == 429 and 15 <= int(second.headers["Retry-After"]) <= 20


def test_per_account_ceiling_is_far_higher_than_the_pair_delay(app):
    amount = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    assert amount >= 100


def test_backoff_is_configurable_from_the_environment():
    from backend.accounts.throttle import Backoff
    from backend.config import Config

    env = {"FIELDOPS_LOGIN_BACKOFF_FREE_FAILURES": "5", "FIELDOPS_LOGIN_BACKOFF_BASE_S": "7"}
    policy = Backoff.from_config(Config.from_env(env).to_flask())
    assert (policy.free_failures, policy.base_s, policy.max_s) == (5, 7, 900)
