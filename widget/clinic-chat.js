/*
 * Movement Chiropractic & Sports Clinic chat widget.
 *
 * Add to any page with one tag:
 *   <script src="/widget/clinic-chat.js" defer
 *           data-bot-url="https://assistant.example-clinic.com"
 *           data-clinic-name="Movement Chiropractic & Sports Clinic"
 *           data-accent="#0b5d7a"
 *           data-greeting="Ask me about sciatica or dry needling."></script>
 *
 * The chat is kept for this tab only (sessionStorage) and ended after
 * data-idle-minutes (30) without a message, so the next person at a shared
 * computer never sees it; "End chat" also revokes it on the server.
 * data-remember="device" keeps it across tabs and restarts (localStorage) for
 * sites that want that and are not used on shared computers.
 *
 * Each message carries an id of its own (`message_id`), the same on every retry:
 * a message that a dead or silent server left unanswered is sent again a few
 * times, with growing waits, and the channel answers a repeated id with the
 * reply it already gave. Meanwhile the patient sees "Still sending".
 *
 * Plain JS, no framework, no inline script or style (works under
 * `script-src 'self'; style-src 'self'`). Every text, from the patient or the
 * assistant, becomes DOM text nodes: only **bold**, line breaks, lists and
 * https:/tel:/mailto: links are turned into elements.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) { return; }
  var data = script.dataset;

  // Words of the widget itself; the assistant's sentences come from the server.
  var LABELS = {
    open: "Chat with us",
    close: "Close",
    closeChat: "Close chat",
    restart: "End chat",
    restartChat: "End this chat and start a new one",
    send: "Send",
    input: "Type your question",
    log: "Conversation",
    replies: "Suggested replies",
    typing: "The assistant is typing",
    stillSending: "Still sending your message\u2026",
    unread: "unread",
    offline: data.offlineMessage ||
      "Sorry, the chat cannot reach the clinic right now. Please try again in a moment."
  };
  var LINK_PROTOCOLS = ["https:", "tel:", "mailto:"];
  var HIDDEN_GREETING = "/greet";  // asks the assistant for its greeting; not shown as a patient message
  var RETRY_DELAYS = [1000, 2000, 4000];  // waits before sending a message again, then the offline notice
  var ATTEMPT_MS = 40 * 1000;  // an answer not in by then is asked for again (the same id: answered once)
  var SLOW_MS = 8 * 1000;  // "Still sending" after this long without an answer
  var RETRIED_STATUSES = [502, 503, 504];  // no server answered; a refusal or an honest failure is not retried

  var botUrl = (data.botUrl || "").replace(/\/+$/, "");
  var api = botUrl + "/webhooks/clinic_web";
  var clinicName = data.clinicName || "Our clinic";
  var storage = data.remember === "device" ? window.localStorage : window.sessionStorage;
  var idleLimit = (Number(data.idleMinutes) || 30) * 60 * 1000;
  var storageKey = "clinic-chat:" + botUrl;
  var openKey = storageKey + ":open";
  var unread = 0;
  var busy = false;
  var waiting = [];  // messages written while an answer is on its way, sent in turn

  // ---------- safe rendering ----------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function safeLink(label, address) {
    var url;
    try { url = new URL(address); } catch (e) { return null; }
    if (LINK_PROTOCOLS.indexOf(url.protocol) < 0) { return null; }
    var link = el("a", "", label);
    link.href = url.href;
    if (url.protocol === "https:") { link.target = "_blank"; link.rel = "noopener noreferrer"; }
    return link;
  }

  // **bold** and [label](address); everything else stays text.
  function appendInline(parent, text) {
    var pattern = /\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      if (match[1] !== undefined) {
        parent.appendChild(el("strong", "", match[1]));
      } else {
        parent.appendChild(safeLink(match[2], match[3]) || document.createTextNode(match[0]));
      }
      last = pattern.lastIndex;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  // Lines starting "- ", "* " or "1. " become lists; other lines are kept with <br>.
  function renderText(container, text) {
    var list = null;
    var paragraph = null;
    String(text).split(/\r?\n/).forEach(function (line) {
      var bullet = /^\s*[-*\u2022]\s+(.*)$/.exec(line);
      var numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
      var item = bullet || numbered;
      if (item) {
        var kind = bullet ? "ul" : "ol";
        if (!list || list.tagName.toLowerCase() !== kind) { list = container.appendChild(el(kind)); }
        appendInline(list.appendChild(el("li")), item[1]);
        paragraph = null;
        return;
      }
      list = null;
      if (!paragraph) {
        paragraph = container.appendChild(el("p"));
      } else {
        paragraph.appendChild(el("br"));
      }
      appendInline(paragraph, line);
    });
  }

  // ---------- the widget's elements ----------

  var root = el("div", "clinic-chat");
  if (/^#[0-9a-fA-F]{3,8}$/.test(data.accent || "")) {
    root.style.setProperty("--clinic-chat-accent", data.accent);  // CSSOM, allowed by CSP
  }
  var panelId = "clinic-chat-panel";
  var launcher = el("button", "clinic-chat__launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", panelId);
  launcher.appendChild(el("span", "", LABELS.open));
  var badge = el("span", "clinic-chat__badge");
  badge.hidden = true;
  launcher.appendChild(badge);

  var panel = el("section", "clinic-chat__panel");
  panel.id = panelId;
  panel.hidden = true;
  panel.setAttribute("aria-labelledby", "clinic-chat-title");
  var header = panel.appendChild(el("div", "clinic-chat__header"));
  var title = header.appendChild(el("h2", "clinic-chat__title", clinicName));
  title.id = "clinic-chat-title";
  var restartButton = header.appendChild(el("button", "", LABELS.restart));
  restartButton.type = "button";
  restartButton.setAttribute("aria-label", LABELS.restartChat);
  var closeButton = header.appendChild(el("button", "", LABELS.close));
  closeButton.type = "button";
  closeButton.setAttribute("aria-label", LABELS.closeChat);
  if (data.greeting) { panel.appendChild(el("p", "clinic-chat__intro", data.greeting)); }

  var log = panel.appendChild(el("div", "clinic-chat__log"));
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", LABELS.log);
  log.tabIndex = 0;  // scrollable region reachable by keyboard

  var typing = panel.appendChild(el("div", "clinic-chat__typing"));
  typing.setAttribute("role", "status");
  typing.hidden = true;
  for (var i = 0; i < 3; i++) { typing.appendChild(el("span", "clinic-chat__dot")).setAttribute("aria-hidden", "true"); }
  typing.appendChild(el("span", "clinic-chat__hidden-text", LABELS.typing));
  var stillSending = typing.appendChild(el("span", "clinic-chat__sending", LABELS.stillSending));
  stillSending.hidden = true;

  var replies = panel.appendChild(el("div", "clinic-chat__replies"));
  replies.setAttribute("role", "group");
  replies.setAttribute("aria-label", LABELS.replies);

  var form = panel.appendChild(el("form", "clinic-chat__form"));
  var inputLabel = form.appendChild(el("label", "clinic-chat__hidden-text", LABELS.input));
  inputLabel.htmlFor = "clinic-chat-input";
  var input = form.appendChild(el("textarea", "clinic-chat__input"));
  input.id = "clinic-chat-input";
  input.rows = 1;
  input.placeholder = LABELS.input;
  var sendButton = form.appendChild(el("button", "clinic-chat__send", LABELS.send));
  sendButton.type = "submit";

  root.appendChild(panel);
  root.appendChild(launcher);

  // ---------- messages ----------

  // `fromHistory`: redrawn messages were already seen, so they do not count as unread.
  function addMessage(from, text, fromHistory) {
    var bubble = el("div", "clinic-chat__message clinic-chat__message--" + from);
    if (from === "notice") {
      bubble.textContent = text;
    } else {
      renderText(bubble, text);
    }
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
    if (from !== "patient" && panel.hidden && !fromHistory) {
      unread += 1;
      badge.textContent = String(unread);
      badge.appendChild(el("span", "clinic-chat__hidden-text", " " + LABELS.unread));
      badge.hidden = false;
    }
  }

  function showReplies(buttons) {
    replies.textContent = "";
    (buttons || []).forEach(function (button) {
      var choice = replies.appendChild(el("button", "", button.title));
      choice.type = "button";
      choice.addEventListener("click", function () { send(button.payload, button.title); });
    });
  }

  function showAssistant(messages) {
    var buttons = [];
    messages.forEach(function (message) {
      if (message.text) { addMessage("assistant", message.text); }
      if (message.buttons && message.buttons.length) { buttons = message.buttons; }
    });
    showReplies(buttons);
  }

  // ---------- the channel ----------

  function stored() {
    try { return JSON.parse(storage.getItem(storageKey)) || null; } catch (e) { return null; }
  }

  // The current chat, unless it has been idle too long (then it is ended on the server too).
  function session() {
    var current = stored();
    if (current && Date.now() - (current.lastActive || 0) > idleLimit) {
      endSession(current);
      return null;
    }
    return current;
  }

  function touch(current) {
    current.lastActive = Date.now();
    storage.setItem(storageKey, JSON.stringify(current));
    return current;
  }

  // Forgets the chat here and revokes its token on the server (best effort: it expires anyway).
  function endSession(current) {
    storage.removeItem(storageKey);
    if (current) {
      request("DELETE", "/sessions/" + encodeURIComponent(current.session_id), null, current.token)
        .catch(function () { return null; });
    }
  }

  // Resolves with the answer, whatever its status; rejects when none came (network, ATTEMPT_MS).
  function request(method, path, body, token) {
    var headers = { "Content-Type": "application/json" };
    if (token) { headers.Authorization = "Bearer " + token; }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && window.setTimeout(function () { controller.abort(); }, ATTEMPT_MS);
    var done = function () { window.clearTimeout(timer); };
    return fetch(api + path, { method: method, headers: headers, body: body ? JSON.stringify(body) : undefined,
                               signal: controller ? controller.signal : undefined })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (json) {
          return { status: resp.status, ok: resp.ok, json: json };
        });
      })
      .then(function (answer) { done(); return answer; }, function (failure) { done(); throw failure; });
  }

  // `attempt()` until it is answered, again after each wait in RETRY_DELAYS when no server
  // answered (it is the same message each time: the channel answers a repeat with its first reply).
  function persistently(attempt) {
    var tries = 0;
    function once() {
      return attempt().then(function (answer) {
        if (!answer.ok) { throw answer; }
        return answer;
      }).catch(function (failure) {
        var unanswered = !failure || failure.status === undefined || RETRIED_STATUSES.indexOf(failure.status) >= 0;
        if (!unanswered || tries >= RETRY_DELAYS.length) { throw failure; }
        stillSending.hidden = false;
        var wait = RETRY_DELAYS[tries++];
        return new Promise(function (resolve) { window.setTimeout(resolve, wait); }).then(once);
      });
    }
    return once();
  }

  function newMessageId() {
    var cryptography = window.crypto;
    if (cryptography.randomUUID) { return cryptography.randomUUID(); }  // secure contexts (https, localhost)
    return Array.prototype.map.call(cryptography.getRandomValues(new Uint8Array(16)), function (byte) {
      return (byte + 256).toString(16).slice(1);
    }).join("");
  }

  function ensureSession() {  // starting one twice costs nothing: a session is only a signed token
    var current = session();
    if (current) { return Promise.resolve(current); }
    return persistently(function () { return request("POST", "/sessions"); }).then(function (answer) {
      return touch(answer.json);
    });
  }

  function explain(failure) {
    if (failure && failure.status === 401) { storage.removeItem(storageKey); }
    addMessage("notice", (failure && failure.json && failure.json.message) || LABELS.offline);
  }

  var slowTimer = null;
  function setBusy(value) {
    busy = value;
    typing.hidden = !value;
    stillSending.hidden = true;
    window.clearTimeout(slowTimer);
    if (value) { slowTimer = window.setTimeout(function () { stillSending.hidden = false; }, SLOW_MS); }
  }

  // Sends `text`; shows `shown` (a quick reply's title) as the patient's words. A message
  // written while an answer is on its way (a fast typist before the greeting arrives) is
  // shown at once and sent when that answer is in, in the order written.
  function send(text, shown) {
    if (!text) { return; }
    if (text !== HIDDEN_GREETING) { addMessage("patient", shown || text); }
    if (busy) { waiting.push({ text: text, shown: shown }); return; }
    deliver(text, shown);
  }

  function deliver(text, shown) {
    var hidden = text === HIDDEN_GREETING;
    showReplies([]);
    setBusy(true);
    var message = { message: text, message_id: newMessageId() };
    ensureSession().then(function (current) {
      return persistently(function () {
        return request("POST", "/sessions/" + encodeURIComponent(touch(current).session_id) + "/messages",
                       message, current.token);
      });
    }).then(function (answer) {
      showAssistant(answer.json.messages || []);
    }).catch(function (failure) {
      if (!hidden && !shown) { input.value = input.value || text; }  // the patient's words are not lost
      explain(failure);
    }).then(function () {
      setBusy(false);
      var next = waiting.shift();
      if (next) { deliver(next.text, next.shown); }
    });
  }

  function loadHistory() {
    var current = session();
    log.textContent = "";
    showReplies([]);
    if (!current) { return Promise.resolve(0); }
    return request("GET", "/sessions/" + encodeURIComponent(current.session_id) + "/history", null, current.token)
      .then(function (answer) {
        if (!answer.ok) { throw answer; }
        var buttons = [];
        (answer.json.messages || []).forEach(function (message) {
          addMessage(message.from === "patient" ? "patient" : "assistant", message.text, true);
          buttons = message.from === "patient" ? [] : (message.buttons || []);
        });
        showReplies(buttons);
        return answer.json.messages.length;
      })
      .catch(function (failure) { explain(failure); return 0; });
  }

  // ---------- opening, closing, restarting ----------

  function setOpen(open) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    sessionStorage.setItem(openKey, open ? "1" : "");
    if (open) {
      unread = 0;
      badge.hidden = true;
      input.focus();
      if (!log.childElementCount && !session()) { send(HIDDEN_GREETING); }
    }
  }

  launcher.addEventListener("click", function () { setOpen(panel.hidden); });
  closeButton.addEventListener("click", function () { setOpen(false); launcher.focus(); });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { setOpen(false); launcher.focus(); }
  });
  restartButton.addEventListener("click", function () {
    waiting = [];
    endSession(stored());
    log.textContent = "";
    showReplies([]);
    send(HIDDEN_GREETING);
    input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send(text);
  });
  input.addEventListener("keydown", function (event) {  // Enter sends, Shift+Enter makes a new line
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  // Another tab started a new chat or wrote to this one: show the same conversation here.
  window.addEventListener("storage", function (event) { if (event.key === storageKey) { loadHistory(); } });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && !busy) { loadHistory(); }
  });
  // An idle chat left open on screen is cleared, not left for the next person to read.
  window.setInterval(function () {
    if (stored() && !session()) { log.textContent = ""; showReplies([]); }
  }, 30 * 1000);

  function start() {
    var stylesheet = document.createElement("link");
    stylesheet.rel = "stylesheet";
    stylesheet.href = new URL("clinic-chat.css", script.src).href;
    document.head.appendChild(stylesheet);
    document.body.appendChild(root);
    loadHistory().then(function () {
      if (sessionStorage.getItem(openKey)) { setOpen(true); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
