from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_landing_page_is_public_and_says_what_prep_is(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"machine-learning" in response.content
    assert reverse("signup").encode() in response.content


def test_sign_up_creates_user_and_logs_in(client):
    response = client.post(
        reverse("signup"),
        {"username": "dana", "email": "", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="dana").exists()
    assert client.get("/").context["user"].username == "dana"


def test_weak_password_is_refused_with_reason_and_username_kept(client):
    response = client.post(
        reverse("signup"),
        {"username": "dana", "email": "", "password1": "12345678", "password2": "12345678"},
    )
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username="dana").exists()
    errors = response.context["form"].errors["password2"]
    assert any("too common" in e for e in errors)
    assert any("entirely numeric" in e for e in errors)
    assert 'value="dana"' in response.content.decode()


def test_mismatched_passwords_are_refused_and_username_kept(client):
    response = client.post(
        reverse("signup"),
        {"username": "dana", "email": "", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    assert response.status_code == 200
    assert "match" in str(response.context["form"].errors["password2"])
    assert 'value="dana"' in response.content.decode()


def test_login_and_logout(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_logout_by_get_is_refused(alice_client):
    assert alice_client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in alice_client.session


def test_sixth_wrong_password_in_a_row_is_refused_with_clear_message(client, alice):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert "Please enter a correct username and password" in response.content.decode()
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Even the right password is refused while the account is locked out.
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_is_per_account(client, alice, bob):
    for _ in range(6):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302


def test_address_is_throttled_across_accounts(client, settings, alice):
    settings.LOGIN_FAILURES_PER_IP = 3
    for name in ("x1", "x2", "x3"):
        client.post(reverse("login"), {"username": name, "password": "wrong"})
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_successful_login_resets_account_counter(client, alice):
    for _ in range(4):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )
    client.post(reverse("logout"))
    for _ in range(4):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert (
        client.post(reverse("login"), {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )


def test_login_rotates_session_key(client, alice):
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert client.session.session_key != before


def test_open_redirect_via_next_is_refused(client, alice):
    response = client.post(
        reverse("login") + "?next=https://evil.example.com/",
        {"username": "alice", "password": PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


def test_password_change_requires_old_password(alice_client):
    response = alice_client.post(
        reverse("password_change"),
        {
            "old_password": "nope",
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors


def test_password_reset_sends_email(client, alice, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body


def test_full_password_reset_flow(client, alice, mailoutbox):
    client.post(reverse("password_reset"), {"email": "alice@example.com"}, follow=True)
    assert client.get(reverse("password_reset_done")).status_code == 200
    link = next(
        line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line
    ).strip()
    path = link[link.index("/accounts/reset/") :]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200 and "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_url,
        {"new_password1": "a fresh long passphrase", "new_password2": "a fresh long passphrase"},
    )
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # password_reset_complete
    assert client.login(username="alice", password="a fresh long passphrase")


def test_password_change_done_page(alice_client):
    response = alice_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a new long passphrase",
            "new_password2": "a new long passphrase",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password has been changed" in response.content.decode()


# --- Sign-in lockout: per (account, address) ---------------------------------------------------

OWNER_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.9"


def _client_at(address):
    return Client(REMOTE_ADDR=address)


def _login(client, username="alice", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_someone_elsewhere_cannot_lock_the_owner_out(alice):
    attacker = _client_at(ATTACKER_ADDRESS)
    for _ in range(12):
        _login(attacker, password="wrong")
    response = _login(attacker)
    assert "Too many failed sign-in attempts for this account from your network" in (
        response.content.decode()
    )
    assert _login(_client_at(OWNER_ADDRESS)).status_code == 302


def test_an_address_trying_many_accounts_is_paused(settings, alice):
    settings.LOGIN_FAILURES_PER_IP = 3
    attacker = _client_at(ATTACKER_ADDRESS)
    for name in ("x1", "x2", "x3"):
        _login(attacker, username=name, password="wrong")
    body = _login(attacker).content.decode()
    assert "Too many failed sign-in attempts from your network" in body
    assert "paused for 15 minutes" in body
    assert _login(_client_at(OWNER_ADDRESS)).status_code == 302


def test_a_campaign_from_many_addresses_pauses_only_new_browsers(settings, alice):
    settings.LOGIN_FAILURES_PER_ACCOUNT_TOTAL = 6
    owner = _client_at(OWNER_ADDRESS)
    assert _login(owner).status_code == 302  # this browser is now known to alice's account
    owner.post(reverse("logout"))
    for n in range(3):
        attacker = _client_at(f"203.0.113.{n + 1}")
        for _ in range(2):
            _login(attacker, password="wrong")
    # A browser that never signed in to alice, from an address that never failed: paused.
    stranger = _login(_client_at("192.0.2.50"))
    assert stranger.status_code == 200
    assert "browsers you have used with it still work" in stranger.content.decode()
    # The owner's browser still signs in, even from a new address.
    owner.defaults["REMOTE_ADDR"] = "192.0.2.77"
    assert _login(owner).status_code == 302
    # Other accounts are not affected.
    assert _login(_client_at("192.0.2.50"), username="bob").status_code == 200  # no such user
    assert "Too many" not in _login(_client_at("192.0.2.50"), username="bob").content.decode()


def test_the_known_browser_cookie_is_signed_and_per_account(settings, alice, bob):
    settings.LOGIN_FAILURES_PER_ACCOUNT_TOTAL = 1
    bobs_browser = _client_at(OWNER_ADDRESS)
    assert _login(bobs_browser, username="bob").status_code == 302
    cookie = bobs_browser.cookies["prep_known"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    bobs_browser.post(reverse("logout"))
    _login(_client_at(ATTACKER_ADDRESS), password="wrong")  # alice's account hits its ceiling
    # Bob's browser is known to bob's account, not to alice's.
    assert _login(bobs_browser).status_code == 200
    forged = _client_at("192.0.2.9")
    forged.cookies["prep_known"] = "anything:forged"
    assert _login(forged).status_code == 200


def test_lockout_message_gives_the_time_left(settings, alice):
    for _ in range(5):
        _login(_client_at(ATTACKER_ADDRESS), password="wrong")
    body = _login(_client_at(ATTACKER_ADDRESS)).content.decode()
    assert "paused for 15 minutes" in body


def test_proxy_count_takes_the_address_the_proxy_saw(settings, alice):
    settings.PROXY_COUNT = 1

    def via_proxy(client_address, claimed="10.9.9.9"):
        return Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"{claimed}, {client_address}")

    for _ in range(5):
        _login(via_proxy(ATTACKER_ADDRESS), password="wrong")
    assert "Too many" in _login(via_proxy(ATTACKER_ADDRESS, claimed="1.2.3.4")).content.decode()
    assert _login(via_proxy(OWNER_ADDRESS)).status_code == 302


def test_ipv6_addresses_are_throttled_by_their_64(alice):
    for n in range(5):
        _login(_client_at(f"2001:db8:1:2::{n + 1}"), password="wrong")
    assert "Too many" in _login(_client_at("2001:db8:1:2:ffff::1")).content.decode()
    assert _login(_client_at("2001:db8:1:3::1")).status_code == 302


# --- Sign-up throttle ------------------------------------------------------------------------


def _signup(client, username, password=PASSWORD, email=""):
    return client.post(
        reverse("signup"),
        {"username": username, "email": email, "password1": password, "password2": password},
    )


def test_signups_are_throttled_per_address_before_hashing(settings):
    settings.SIGNUPS_PER_IP = 3
    for n in range(3):
        assert _signup(_client_at(ATTACKER_ADDRESS), f"bulk{n}").status_code == 302
    with mock.patch("django.contrib.auth.base_user.make_password") as make_password:
        response = _signup(_client_at(ATTACKER_ADDRESS), "bulk3", email="b3@example.com")
    make_password.assert_not_called()
    assert response.status_code == 200
    body = response.content.decode()
    assert "Too many new accounts from your network. Try again in 60 minutes." in body
    assert 'value="bulk3"' in body and 'value="b3@example.com"' in body
    assert PASSWORD not in body
    assert not get_user_model().objects.filter(username="bulk3").exists()
    # Another address is not affected.
    assert _signup(_client_at(OWNER_ADDRESS), "dana").status_code == 302


def test_refused_signups_do_not_use_up_the_quota(settings):
    settings.SIGNUPS_PER_IP = 2
    client = _client_at(ATTACKER_ADDRESS)
    for _ in range(5):
        assert _signup(client, "dana", password="12345678").status_code == 200
    assert _signup(_client_at(ATTACKER_ADDRESS), "dana").status_code == 302
    assert _signup(_client_at(ATTACKER_ADDRESS), "erin").status_code == 302


# --- Usernames ---------------------------------------------------------------------------------

CYRILLIC_A = "\N{CYRILLIC SMALL LETTER A}"


def _username_errors(response):
    return " ".join(response.context["form"].errors.get("username", []))


@pytest.mark.parametrize(
    "name",
    [f"{CYRILLIC_A}dmin", "d\N{GREEK SMALL LETTER ALPHA}na", "dana b", "dana+x", "d@na", ".dana"],
)
def test_usernames_outside_ascii_letters_digits_and_dot_dash_underscore_are_refused(client, name):
    response = _signup(client, name)
    assert response.status_code == 200
    assert not get_user_model().objects.filter(username=name).exists()
    errors = _username_errors(response)
    assert "Use only letters a-z, digits and . _ -" in errors or "valid username" in errors


def test_fullwidth_letters_are_normalised_to_ascii(client):
    assert _signup(client, "\uff44\uff41\uff4e\uff41").status_code == 302
    assert get_user_model().objects.filter(username="dana").exists()


def test_plain_names_with_dots_dashes_and_underscores_are_accepted(client):
    assert _signup(client, "dana.b-c_1").status_code == 302


@pytest.mark.parametrize("name", ["Alice", "ALICE", "a1ice", "aIice", "A1ICE", "0bob"])
def test_names_that_look_like_an_existing_one_are_refused(client, alice, django_user_model, name):
    django_user_model.objects.create_user("obob", password=PASSWORD)
    response = _signup(client, name)
    assert response.status_code == 200
    errors = _username_errors(response)
    assert "already exists" in errors or "looks too much like an existing one" in errors
    assert get_user_model().objects.count() == 2


def test_letter_pairs_that_look_like_one_letter_are_refused(client, django_user_model):
    django_user_model.objects.create_user("com", password=PASSWORD)
    assert "looks too much like" in _username_errors(_signup(client, "corn"))


def test_existing_lookalike_users_are_unaffected_and_block_their_twin(client, django_user_model):
    legacy = f"{CYRILLIC_A}dmin"
    django_user_model.objects.create_user(legacy, password=PASSWORD)
    assert "looks too much like" in _username_errors(_signup(client, "admin"))
    assert _login(_client_at(OWNER_ADDRESS), username=legacy).status_code == 302


# --- Password reset ----------------------------------------------------------------------------


@pytest.fixture
def dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    default_task_backend.clear()
    return default_task_backend


def test_password_reset_only_enqueues_plain_data(client, alice, mailoutbox, dummy_tasks):
    known = client.post(reverse("password_reset"), {"email": "alice@example.com"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("password_reset_done")
    assert mailoutbox == []  # nothing is sent inside the request
    assert [(r.task.name, r.args, r.kwargs) for r in dummy_tasks.results] == [
        (
            "send_password_reset_email",
            [],
            {"email": email, "domain": "testserver", "protocol": "http"},
        )
        for email in ("alice@example.com", "nobody@example.com")
    ]


def test_password_reset_task_sends_a_working_link(alice, mailoutbox):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.http import urlsafe_base64_encode

    from questions.tasks import send_password_reset_email

    send_password_reset_email.call(
        email="ALICE@example.com", domain="prep.example.com", protocol="https"
    )
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.com"]
    assert "prep.example.com" in message.subject
    uid = urlsafe_base64_encode(str(alice.pk).encode())
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line).strip()
    assert link.startswith(f"https://prep.example.com/accounts/reset/{uid}/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert default_token_generator.check_token(alice, token)


def test_password_reset_task_sends_nothing_for_unknown_or_inactive(alice, mailoutbox):
    from questions.tasks import send_password_reset_email

    send_password_reset_email.call(email="nobody@example.com", domain="x", protocol="https")
    alice.is_active = False
    alice.save()
    send_password_reset_email.call(email="alice@example.com", domain="x", protocol="https")
    assert mailoutbox == []


def _reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def test_password_reset_is_throttled_per_email_without_telling_who_exists(
    settings, alice, mailoutbox
):
    settings.PASSWORD_RESETS_PER_EMAIL = 2
    for email in ("alice@example.com", "nobody@example.com"):
        for n in range(2):
            assert _reset(_client_at(f"192.0.2.{n + 1}"), email).status_code == 302
    assert len(mailoutbox) == 2
    known = _reset(_client_at("192.0.2.9"), "alice@example.com")
    unknown = _reset(_client_at("192.0.2.9"), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.context["form"].errors == unknown.context["form"].errors
    assert "Too many password-reset requests. Try again in 60 minutes" in known.content.decode()
    assert len(mailoutbox) == 2


def test_password_reset_is_throttled_per_address(settings, alice, mailoutbox):
    settings.PASSWORD_RESETS_PER_IP = 3
    client = _client_at(ATTACKER_ADDRESS)
    for n in range(3):
        assert _reset(client, f"someone{n}@example.com").status_code == 302
    response = _reset(client, "alice@example.com")
    assert "Too many password-reset requests" in response.content.decode()
    assert mailoutbox == []
    assert _reset(_client_at(OWNER_ADDRESS), "alice@example.com").status_code == 302
    assert len(mailoutbox) == 1
