"""The chat widget on the demo clinic page, in real headless Chromium (Debian's
package), against the real running assistant."""
import json
import time

import jwt
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from clinic import PROJECT_ROOT

ARTEFACTS = PROJECT_ROOT / "test-artifacts"
XSS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>",
       "[click me](javascript:window.__xss=1)", '<a href="javascript:window.__xss=1">link</a>']


@pytest.fixture
def page(browser, assistant):
    """A fresh visitor on the demo clinic page; fails the test on any dialog or CSP violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.problems = []
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    page.on("console", lambda message: "Content Security Policy" in message.text
            and page.problems.append(message.text))
    page.goto(assistant["site"] + "/")
    yield page
    assert page.problems == []
    assert page.evaluate("window.__xss") is None
    context.close()


def widget(page):
    return page.locator(".clinic-chat")


def open_chat(page):
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".clinic-chat__message--assistant").first).to_contain_text("virtual assistant")


def ask(page, question):
    page.get_by_label("Type your question").fill(question)
    page.keyboard.press("Enter")


def ask_and_wait(page, question):
    answers = page.locator(".clinic-chat__message--assistant")
    before = answers.count()
    ask(page, question)
    expect(answers).to_have_count(before + 1)


def last_answer(page):
    answers = page.locator(".clinic-chat__message--assistant")
    return answers.nth(answers.count() - 1)


def test_a_patient_asks_a_question_and_reads_the_answer(page):
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    open_chat(page)
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    ask(page, "does dry needling hurt?")
    expect(page.locator(".clinic-chat__message--patient")).to_have_text(["does dry needling hurt?"])
    expect(page.locator(".clinic-chat__message--assistant").nth(1)).to_contain_text("quick pinch")


def test_a_quick_reply_is_a_button_that_asks_for_the_patient(page):
    open_chat(page)
    page.get_by_role("group", name="Suggested replies").get_by_role("button", name="What is sciatica?").click()
    expect(page.locator(".clinic-chat__message--patient")).to_have_text(["What is sciatica?"])
    expect(page.locator(".clinic-chat__message--assistant").nth(1)).to_contain_text("sciatic nerve")


def test_the_conversation_survives_a_reload_but_not_a_new_tab(page):
    open_chat(page)
    ask(page, "how many sessions will I need?")
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(2)
    answer = last_answer(page).inner_text()
    page.reload()
    expect(page.locator(".clinic-chat__message--patient")).to_have_text(["how many sessions will I need?"])
    expect(last_answer(page)).to_have_text(answer)
    expect(page.get_by_role("button", name="Chat with us")).to_have_attribute("aria-expanded", "true")

    # Kept for this tab only: whoever opens the site next on a shared computer starts afresh.
    second_tab = page.context.new_page()
    second_tab.goto(page.url)
    second_tab.get_by_role("button", name="Chat with us").click()
    expect(second_tab.locator(".clinic-chat__message--assistant").first).to_contain_text("virtual assistant")
    expect(second_tab.locator(".clinic-chat__message--patient")).to_have_count(0)
    second_tab.close()


def test_a_patient_who_types_before_the_greeting_arrives_is_answered(page):
    held = []  # the new conversation's request waits until the patient has typed and pressed Enter
    page.route("**/sessions", lambda route: held.append(route))
    page.get_by_role("button", name="Chat with us").click()
    ask(page, "does dry needling hurt?")
    while not held:
        page.wait_for_timeout(20)
    expect(page.locator(".clinic-chat__message--patient")).to_have_text(["does dry needling hurt?"])
    expect(page.get_by_label("Type your question")).to_have_value("")
    held[0].continue_()
    answers = page.locator(".clinic-chat__message--assistant")
    expect(answers).to_have_count(2)
    expect(answers.first).to_contain_text("virtual assistant")
    expect(answers.last).to_contain_text("pinch")


def test_restart_begins_a_new_conversation(page):
    open_chat(page)
    ask(page, "what is dry needling")
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(2)
    before = page.evaluate("Object.entries(sessionStorage)")
    page.get_by_role("button", name="End this chat and start a new one").click()
    expect(page.locator(".clinic-chat__message--patient")).to_have_count(0)
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(1)
    assert page.evaluate("Object.entries(sessionStorage)") != before


def test_keyboard_alone_opens_asks_and_closes(page):
    for _ in range(20):  # Tab through the page until the launcher has focus
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('clinic-chat__launcher')"):
            break
    else:
        pytest.fail("the launcher is not reachable by Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Type your question")).to_be_focused()
    expect(page.get_by_role("group", name="Suggested replies").get_by_role("button").first).to_be_visible()
    page.keyboard.type("is dry needling safe?")
    page.keyboard.press("Enter")
    expect(page.locator(".clinic-chat__message--assistant").nth(1)).to_contain_text("safe")
    page.keyboard.press("Escape")
    launcher = page.get_by_role("button", name="Chat with us")
    expect(launcher).to_be_focused()
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_a_reply_arriving_while_closed_shows_an_unread_badge(page):
    open_chat(page)
    held = []
    page.route("**/messages", lambda route: held.append(route))  # hold the reply until the patient has closed the panel
    ask(page, "what causes sciatica")
    while not held:
        page.wait_for_timeout(50)
    page.get_by_role("button", name="Close chat").click()
    held[0].continue_()
    expect(page.locator(".clinic-chat__badge")).to_have_text("1 unread")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.locator(".clinic-chat__badge")).to_be_hidden()
    expect(last_answer(page)).to_contain_text("sciatic nerve")


def test_a_reply_lost_on_its_way_is_asked_for_again_and_shown_once(page, assistant):
    """The turn ran and was stored, then its answer was lost (a replica died before it left, an nginx
    502): the widget sends the message again with the same id, says it is still sending meanwhile, and
    shows the reply once; the conversation holds one turn."""
    open_chat(page)
    bodies, held = [], []

    def lost_then_held(route):
        bodies.append(json.loads(route.request.post_data))
        if len(bodies) == 1:
            route.fetch()  # the server answers, the patient never gets it
            route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")
        else:
            held.append(route)

    page.route("**/messages", lost_then_held)
    ask(page, "does dry needling hurt?")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the message is sent again"
    expect(page.get_by_role("status")).to_contain_text("Still sending your message")
    held[0].continue_()
    answers = page.locator(".clinic-chat__message--assistant")
    expect(answers).to_have_count(2)
    expect(answers.last).to_contain_text("pinch")
    expect(page.get_by_role("status")).to_be_hidden()
    expect(page.locator(".clinic-chat__message--notice")).to_have_count(0)
    assert len(bodies) == 2 and bodies[0] == bodies[1] and len(bodies[0]["message_id"]) >= 32
    page.unroute("**/messages")
    page.reload()  # the conversation as stored: the question once, its answer once
    expect(page.locator(".clinic-chat__message--patient")).to_have_text(["does dry needling hurt?"])
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(2)
    ask_and_wait(page, "what causes sciatica")  # the next message has an id of its own
    assert len({body["message_id"] for body in bodies}) == 1


def test_a_new_chat_and_its_messages_get_through_a_few_failed_calls(page):
    failures = {"sessions": 1, "messages": 2}  # no answer, then nginx's 504; then through

    def failing(kind):
        def handle(route):
            if failures[kind]:
                failures[kind] -= 1
                if kind == "sessions" or failures[kind]:
                    return route.abort("connectionreset")
                return route.fulfill(status=504, body="")
            route.continue_()
        return handle

    page.route("**/sessions", failing("sessions"))
    page.route("**/messages", failing("messages"))
    open_chat(page)
    ask(page, "is dry needling safe?")
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(2)
    expect(last_answer(page)).to_contain_text("safe")
    assert failures == {"sessions": 0, "messages": 0}


def test_a_message_never_answered_is_given_back_to_the_patient(page):
    open_chat(page)
    calls = []
    page.route("**/messages", lambda route: (calls.append(1), route.fulfill(status=502, body="")))
    ask(page, "what is dry needling")
    expect(page.get_by_role("status")).to_contain_text("Still sending your message")
    expect(page.locator(".clinic-chat__message--notice")).to_contain_text("cannot reach the clinic", timeout=15000)
    expect(page.get_by_label("Type your question")).to_have_value("what is dry needling")
    assert len(calls) == 4  # the first call and three retries, about 7 s in all


def injected(page):
    return page.evaluate("""() => {
        const chat = document.querySelector('.clinic-chat');
        return {
          elements: chat.querySelectorAll('script, img, iframe, [onerror], [onclick]').length,
          scriptLinks: [...chat.querySelectorAll('a')].filter(a => !/^(https|tel|mailto):/.test(a.href)).length,
        };
    }""")


def test_script_typed_by_a_patient_stays_text(page):
    open_chat(page)
    for payload in XSS:
        ask_and_wait(page, payload)
        expect(page.locator(".clinic-chat__message--patient").last).to_have_text(payload)
    assert injected(page) == {"elements": 0, "scriptLinks": 0}
    page.reload()  # and again when the transcript comes back from the server
    expect(page.locator(".clinic-chat__message--patient")).to_have_text(XSS)
    assert injected(page) == {"elements": 0, "scriptLinks": 0}


def test_an_answer_with_markup_shows_only_the_safe_subset(page):
    reply = {"messages": [{"from": "assistant", "buttons": [{"title": "<b>x</b>", "payload": "hi"}], "text": (
        '**Call us** on [555 0100](tel:+15550100) or [email](mailto:desk@clinic.test).\n'
        '- first <img src=x onerror="window.__xss=1">\n- second\n'
        '[site](https://clinic.test/) [bad](javascript:window.__xss=1) [data](data:text/html,hi)\n'
        "<script>window.__xss=1</script>")}]}
    open_chat(page)
    page.route("**/messages", lambda route: route.fulfill(status=200, content_type="application/json",
                                                          body=json.dumps(reply)))
    ask(page, "hello")
    answer = page.locator(".clinic-chat__message--assistant").nth(1)
    expect(answer.locator("strong")).to_have_text("Call us")
    expect(answer.locator("li")).to_have_count(2)
    hrefs = answer.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs == ["tel:+15550100", "mailto:desk@clinic.test", "https://clinic.test/"]
    expect(answer).to_contain_text("[bad](javascript:window.__xss=1)")
    expect(answer).to_contain_text("<script>window.__xss=1</script>")
    expect(page.get_by_role("button", name="<b>x</b>")).to_be_visible()
    assert injected(page) == {"elements": 0, "scriptLinks": 0}


def test_a_forged_token_is_refused_and_the_patient_can_start_again(page, assistant):
    open_chat(page)
    key = page.evaluate("Object.keys(sessionStorage).find(k => !k.endsWith(':open'))")
    stored = page.evaluate("key => sessionStorage.getItem(key)", key)
    session = json.loads(stored)
    now = int(time.time())
    session["token"] = jwt.encode({"sub": session["session_id"], "iat": now, "exp": now + 600},
                                  "a-forger-does-not-know-the-secret-0000", algorithm="HS256")
    page.evaluate("([key, value]) => sessionStorage.setItem(key, value)", [key, json.dumps(session)])
    with page.expect_response("**/history") as refused:
        page.reload()
    assert refused.value.status == 401
    expect(page.locator(".clinic-chat__message--notice")).to_contain_text("Please start a new chat")
    ask(page, "what is dry needling")
    expect(last_answer(page)).to_contain_text("needle")


def test_no_serious_accessibility_problem_with_the_panel_open(page):
    open_chat(page)
    ask(page, "does dry needling hurt?")
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(2)
    results = Axe().run(page)
    serious = [(v["id"], v["impact"], v["help"]) for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_a_phone_screen_shows_the_whole_panel(browser, assistant):
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(assistant["site"] + "/")
    open_chat(page)
    ask(page, "how long until I feel better?")
    expect(page.locator(".clinic-chat__message--assistant")).to_have_count(2)
    box = page.locator(".clinic-chat__panel").bounding_box()
    assert box["x"] >= 0 and box["width"] <= 360 and box["y"] + box["height"] <= 640
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "widget-360x640.png"))
    context.close()
