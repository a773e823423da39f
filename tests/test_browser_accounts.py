import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_log_out_and_log_in_through_the_real_pages(page, live_server):
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Create a free account").click()
    page.get_by_label("Username").fill("erin")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_text("Welcome, erin!").wait_for()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").first.wait_for()

    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Username").fill("erin")
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
    assert page.locator(".nav-user").inner_text() == "erin"
