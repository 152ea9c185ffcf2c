"""The chat widget on a shared or kiosk computer (security finding 6): the next
visitor must not see the previous patient's chat, and an ended chat's token
must stop working on the server, in real Chromium against the running assistant."""
import json

import pytest
from playwright.sync_api import expect

from patient_channel import history

QUESTION = "my name is Ana Ruiz, does dry needling hurt?"


@pytest.fixture
def page(browser, assistant):
    context = browser.new_context()
    page = context.new_page()
    page.clock.install()  # the test moves the clock on instead of waiting half an hour
    page.goto(assistant["site"] + "/")
    yield page
    context.close()


def chat_once(page):
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".clinic-chat__message--assistant").first).to_contain_text("virtual assistant")
    page.get_by_label("Type your question").fill(QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(2)
    stored = page.evaluate("Object.entries(sessionStorage).find(([k]) => !k.endsWith(':open'))[1]")
    return json.loads(stored)


def test_the_chat_is_kept_in_this_tab_only_never_on_the_device(page):
    chat_once(page)
    assert page.evaluate("localStorage.length") == 0


def test_end_chat_revokes_the_token_on_the_server(page, assistant):
    session = chat_once(page)
    with page.expect_response(lambda r: r.request.method == "DELETE") as ended:
        page.get_by_role("button", name="End this chat and start a new one").click()
    assert ended.value.status == 204
    expect(page.locator(".clinic-chat__message--patient")).to_have_count(0)
    assert history(assistant["channel"], session)[0] == 401


def test_an_idle_chat_left_on_screen_is_cleared_and_ended(page, assistant):
    session = chat_once(page)
    with page.expect_response(lambda r: r.request.method == "DELETE") as ended:
        page.clock.fast_forward("31:00")
    assert ended.value.status == 204
    expect(page.get_by_text(QUESTION)).to_have_count(0)
    assert history(assistant["channel"], session)[0] == 401


def test_an_idle_chat_is_not_shown_after_a_reload(page, assistant):
    session = chat_once(page)
    page.clock.fast_forward("31:00")
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".clinic-chat__message--assistant").first).to_contain_text("virtual assistant")
    expect(page.get_by_text(QUESTION)).to_have_count(0)
    assert history(assistant["channel"], session)[0] == 401
