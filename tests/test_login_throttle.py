"""Failed logins slow down who fails (per account and address, growing delays); they
never keep the account's owner out: another address, or a browser where the owner
already logged in (its signed device cookie), still gets in with the right password."""
from tests.helpers import body, login

ATTACKER = "203.0.113.66"
PARENT_HOME = "198.51.100.7"


def from_address(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_ten_failures_from_elsewhere_do_not_lock_the_parent_out(client, other_client, demo):
    attacker = from_address(client, ATTACKER)
    answers = [login(attacker, demo.PARENT[0], "mauvais mot de passe").status_code
               for _ in range(10)]
    assert answers[:5] == [422] * 5 and 429 in answers
    parent = from_address(other_client, PARENT_HOME)
    assert login(parent, *demo.PARENT).status_code == 302


def test_failures_from_one_address_wait_longer_and_longer(client, demo):
    attacker = from_address(client, ATTACKER)
    for _ in range(5):
        assert login(attacker, demo.PARENT[0], "mauvais mot de passe").status_code == 422
    blocked = login(attacker, *demo.PARENT)  # even the right password, from there
    assert blocked.status_code == 429
    assert "Trop de tentatives" in body(blocked)
    # Another account from the same address is not held back.
    assert login(attacker, *demo.AGENT).status_code == 302


def test_a_known_device_gets_through_the_same_address(app, client, other_client, demo):
    """The attacker shares the parent's address (a school or a box): the parent's
    browser, where they logged in before, still gets in."""
    parent = from_address(client, PARENT_HOME)
    assert login(parent, *demo.PARENT).status_code == 302
    device = parent.get_cookie("portail_device")
    assert device is not None and device.http_only
    assert demo.PARENT[0] not in device.value
    for name in ("portail_session", "portail_remember"):
        parent.delete_cookie(name)
    attacker = from_address(other_client, PARENT_HOME)
    for _ in range(40):
        login(attacker, demo.PARENT[0], "mauvais mot de passe")
    assert login(attacker, *demo.PARENT).status_code == 429
    assert login(parent, *demo.PARENT).status_code == 302


def test_a_forged_device_cookie_gets_nothing(client, other_client, demo):
    attacker = from_address(client, ATTACKER)
    attacker.set_cookie("portail_device", "eyJpZCI6IngiLCJhY2NvdW50cyI6W119.forged")
    for _ in range(5):
        login(attacker, demo.PARENT[0], "mauvais mot de passe")
    assert login(attacker, *demo.PARENT).status_code == 429


def test_a_known_device_has_its_own_limit(client, demo):
    parent = from_address(client, PARENT_HOME)
    assert login(parent, *demo.PARENT).status_code == 302
    for name in ("portail_session", "portail_remember"):
        parent.delete_cookie(name)
    answers = [login(parent, demo.PARENT[0], "mauvais mot de passe").status_code
               for _ in range(11)]
    assert answers[:10] == [422] * 10 and answers[10] == 429
