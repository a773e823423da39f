import pytest
from django.contrib.auth import get_user_model
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
