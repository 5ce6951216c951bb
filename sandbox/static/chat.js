// The sandbox web chat: personas talk to the bot through the emulator's control API.
// Everything a chat contains is put on the page with textContent / DOM nodes, never as HTML.
"use strict";

(() => {
  const API = "/_sandbox";
  const TIME_ZONE = "Asia/Ho_Chi_Minh";
  const PHONE_WIDTH = 760; // below this, one pane at a time with tabs (matches chat.css)
  const EVENT_TYPES = [
    "message_new", "message_edited", "message_deleted", "callback_query", "callback_answered",
    "chat_action", "user_blocked", "user_unblocked", "poll_updated",
  ];
  const ROLE_BY_KEY = {
    elderly_member: "Đảng viên cao tuổi",
    young_member: "Đảng viên trẻ",
    secretary: "Bí thư chi bộ",
    committee_officer: "Cán bộ đảng ủy phường",
    newcomer: "Người mới, chưa kết nối",
  };
  const ROLE_BY_ROLE = {
    member: "Đảng viên",
    secretary: "Bí thư chi bộ",
    deputy_secretary: "Phó bí thư chi bộ",
    committee: "Cán bộ cấp ủy",
  };
  const AVATAR_COLORS = ["#e17076", "#7bc862", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
  const PHOTO_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp"];
  const BLOCK_ENTITIES = new Set(["pre", "blockquote", "expandable_blockquote"]);

  const state = {
    personas: [],
    panes: new Map(), // chat id → Pane
    active: null, // chat id of the pane shown on a phone
    cursor: 0, // the last event seq seen
    hasControls: true, // false on a bare emulator without the SandboxRun routes
    unread: new Map(), // chat id → bot messages that arrived while that chat was out of sight
  };
  const FOLLOW_SLACK = 48; // px from the bottom that still counts as "at the newest message"


  const $ = (selector, root = document) => root.querySelector(selector);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // -- the control API -----------------------------------------------------------------------
  async function api(method, path, body) {
    const init = { method, headers: {} };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, init);
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error((data && (data.error || data.description)) || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  // -- formatting from Telegram entities (offsets are UTF-16 code units, like JS strings) ----
  function safeUrl(url) {
    try {
      const parsed = new URL(String(url), window.location.href);
      return ["http:", "https:", "mailto:", "tel:"].includes(parsed.protocol) ? parsed.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(href, className) {
    const a = el("a", className);
    const safe = safeUrl(href);
    if (safe) {
      a.href = safe;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  // Returns [outer node to attach, inner node that receives the text].
  function entityNodes(entity, text, options) {
    const span = text.slice(entity.offset, entity.offset + entity.length);
    switch (entity.type) {
      case "bold": return single(el("b"));
      case "italic": return single(el("i"));
      case "underline": return single(el("u"));
      case "strikethrough": return single(el("s"));
      case "code": return single(el("code"));
      case "spoiler": return single(spoiler());
      case "blockquote": return single(el("blockquote"));
      case "expandable_blockquote": return single(el("blockquote", "expandable"));
      case "pre": {
        const pre = el("pre");
        const code = el("code");
        if (entity.language) code.dataset.language = entity.language;
        pre.appendChild(code);
        return [pre, code];
      }
      case "text_link": return single(link(entity.url, "link"));
      case "url": return single(link(/^[a-z][a-z0-9+.-]*:/i.test(span) ? span : `http://${span}`, "link"));
      case "email": return single(link(`mailto:${span}`, "link"));
      case "phone_number": return single(link(`tel:${span.replace(/[^\d+]/g, "")}`, "link"));
      case "bot_command": return single(options.onCommand ? command(span, options.onCommand) : el("span", "command"));
      case "mention": case "text_mention": case "hashtag": case "cashtag":
        return single(el("span", "mention"));
      default: return single(el("span")); // custom_emoji and anything newer: plain text
    }
  }

  function single(node) {
    return [node, node];
  }

  function spoiler() {
    const node = el("span", "spoiler");
    node.title = "Bấm để xem";
    node.addEventListener("click", () => node.classList.add("revealed"));
    return node;
  }

  function command(span, onCommand) {
    const node = el("a", "command");
    node.href = "#";
    node.addEventListener("click", (event) => {
      event.preventDefault();
      onCommand(span);
    });
    return node;
  }

  function cleanEntities(text, entities) {
    return (entities || [])
      .filter((e) => e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
      .map((e, i) => {
        const offset = Math.max(0, Math.min(e.offset, text.length));
        return { ...e, offset, end: Math.min(offset + e.length, text.length), order: i };
      })
      .filter((e) => e.end > e.offset)
      .sort((a, b) => a.offset - b.offset || b.end - a.end || a.order - b.order);
  }

  // Cuts the text at every entity edge; each piece is nested in the entities that cover it.
  // Overlapping entities simply get split, so any list Telegram allows renders.
  function renderFormatted(text, entities, options = {}) {
    const fragment = document.createDocumentFragment();
    if (!text) return fragment;
    const list = cleanEntities(text, entities);
    const cuts = new Set([0, text.length]);
    list.forEach((e) => { cuts.add(e.offset); cuts.add(e.end); });
    const points = [...cuts].sort((a, b) => a - b);
    let stack = []; // [{entity, inner}]
    let afterBlock = false;
    for (let k = 0; k + 1 < points.length; k++) {
      const start = points[k];
      const end = points[k + 1];
      const active = list.filter((e) => e.offset <= start && e.end >= end);
      let keep = 0;
      while (keep < stack.length && keep < active.length && stack[keep].entity === active[keep]) keep++;
      if (stack.slice(keep).some((s) => BLOCK_ENTITIES.has(s.entity.type))) afterBlock = true;
      stack = stack.slice(0, keep);
      for (const entity of active.slice(keep)) {
        const [outer, inner] = entityNodes(entity, text, options);
        (stack.length ? stack[stack.length - 1].inner : fragment).appendChild(outer);
        stack.push({ entity, inner });
      }
      let piece = text.slice(start, end);
      // A block already ends its line: the newline right after it would add an empty line.
      if (afterBlock && piece.startsWith("\n")) piece = piece.slice(1);
      afterBlock = false;
      if (piece) (stack.length ? stack[stack.length - 1].inner : fragment).appendChild(document.createTextNode(piece));
    }
    return fragment;
  }

  // -- small formatters ------------------------------------------------------------------------
  const timeFormat = new Intl.DateTimeFormat("vi-VN", {
    hour: "2-digit", minute: "2-digit", hour12: false, timeZone: TIME_ZONE,
  });
  const dateTimeFormat = new Intl.DateTimeFormat("vi-VN", {
    day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit",
    hour12: false, timeZone: TIME_ZONE,
  });

  function formatSize(bytes) {
    if (!bytes) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1).replace(".", ",")} MB`;
  }

  function formatDuration(seconds) {
    const s = Math.max(0, Math.round(seconds || 0));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  function personaName(user) {
    return [user.last_name, user.first_name].filter(Boolean).join(" ");
  }

  function roleLabel(persona) {
    if (persona.key === "newcomer" && persona.linked) return ROLE_BY_ROLE[persona.role] || "Người dùng thử";
    if (ROLE_BY_KEY[persona.key]) return ROLE_BY_KEY[persona.key];
    if (persona.linked === false) return ROLE_BY_KEY.newcomer;
    return ROLE_BY_ROLE[persona.role] || "Người dùng thử";
  }

  // What people are called by: the last two words of a Vietnamese name ("Hồng Nhung").
  function shortName(name) {
    return String(name || "").trim().split(/\s+/).slice(-2).join(" ");
  }

    function initial(name) {
    const words = String(name || "?").trim().split(/\s+/);
    return Array.from(words[words.length - 1] || "?")[0].toUpperCase();
  }

  // -- messages ----------------------------------------------------------------------------------
  function renderMedia(msg) {
    const kind = msg.media_kind;
    if (!kind) return null;
    const media = msg[kind];
    if (kind === "photo") {
      const largest = media[media.length - 1];
      const a = link(largest.url, "photo");
      const img = el("img");
      img.src = largest.url;
      img.alt = "Ảnh";
      img.loading = "lazy";
      a.appendChild(img);
      return a;
    }
    if (kind === "voice" || kind === "audio") return renderAudio(kind, media);
    if (kind === "video" || kind === "animation" || kind === "video_note") {
      const video = el("video", kind === "video_note" ? "video-note" : "video");
      video.src = media.url;
      video.controls = true;
      video.preload = "metadata";
      if (kind === "animation") { video.loop = true; video.muted = true; }
      return video;
    }
    return renderDocument(media);
  }

  function renderAudio(kind, media) {
    const box = el("div", `audio ${kind}`);
    const title = kind === "voice"
      ? "🎤 Tin nhắn thoại"
      : `🎵 ${[media.performer, media.title].filter(Boolean).join(" — ") || media.file_name || "Bản ghi âm"}`;
    const heading = el("div", "audio-title", media.duration ? `${title} · ${formatDuration(media.duration)}` : title);
    box.appendChild(heading);
    const audio = el("audio");
    audio.controls = true;
    audio.preload = "metadata";
    audio.src = media.url;
    // A file sent without its length: the length the browser reads from the file, never "0:00".
    audio.addEventListener("loadedmetadata", () => {
      if (!media.duration && Number.isFinite(audio.duration) && audio.duration > 0) {
        heading.textContent = `${title} · ${formatDuration(audio.duration)}`;
      }
    });
    // A big play button for a finger; the browser's own small controls stay for seeking.
    const play = el("button", "audio-play", "▶ Phát");
    play.type = "button";
    play.addEventListener("click", () => (audio.paused ? audio.play().catch(() => {}) : audio.pause()));
    audio.addEventListener("play", () => { play.textContent = "⏸ Tạm dừng"; });
    audio.addEventListener("pause", () => { play.textContent = "▶ Phát"; });
    box.append(play, audio);
    return box;
  }

  function renderDocument(media) {
    const a = el("a", "document");
    a.href = media.url;
    a.download = media.file_name || "tep";
    a.appendChild(el("span", "doc-icon", "📄"));
    const info = el("span", "doc-info");
    info.appendChild(el("span", "doc-name", media.file_name || "Tệp đính kèm"));
    info.appendChild(el("span", "doc-size", [formatSize(media.file_size), "Bấm để tải về"].filter(Boolean).join(" · ")));
    a.appendChild(info);
    return a;
  }

  function renderContact(contact) {
    const box = el("div", "contact");
    box.appendChild(el("span", "contact-icon", "📞"));
    const info = el("span", "contact-info");
    info.appendChild(el("span", "contact-name", personaName(contact) || "Danh bạ"));
    info.appendChild(el("span", "contact-phone", contact.phone_number || ""));
    box.appendChild(info);
    return box;
  }

  // A poll as Telegram draws it: tappable options until answered, then the chosen one and (in a quiz)
  // the right one marked, with the explanation under them.
  function renderPoll(msg, pane) {
    const poll = msg.poll;
    const box = el("div", `poll${poll.type === "quiz" ? " quiz" : ""}`);
    box.appendChild(el("div", "poll-question", poll.question));
    const kind = poll.type === "quiz" ? "Câu hỏi trắc nghiệm" : "Thăm dò ý kiến";
    box.appendChild(el("div", "poll-kind", `${poll.is_anonymous ? "Ẩn danh · " : ""}${kind}${poll.is_closed ? " · Đã đóng" : ""}`));
    poll.options.forEach((option, index) => {
      const node = el("button", "poll-option");
      node.type = "button";
      let mark = "";
      if (option.correct === true) { node.classList.add("correct"); mark = "✓"; }
      if (option.chosen) {
        node.classList.add("chosen");
        if (option.correct === false) { node.classList.add("wrong"); mark = "✗"; }
        else if (!mark) mark = "●";
      }
      node.appendChild(el("span", "poll-mark", mark));
      node.appendChild(el("span", "poll-text", option.text));
      node.disabled = !poll.can_answer;
      if (poll.can_answer) node.addEventListener("click", () => pane.answerPoll(msg.message_id, index, node));
      box.appendChild(node);
    });
    if (poll.explanation) box.appendChild(el("div", "poll-explanation", `📖 ${poll.explanation}`));
    return box;
  }

  function renderInlineKeyboard(msg, pane) {
    const rows = (msg.reply_markup && msg.reply_markup.inline_keyboard) || [];
    if (!rows.length) return null;
    const keyboard = el("div", "inline-keyboard");
    for (const row of rows) {
      const line = el("div", "inline-row");
      for (const button of row) line.appendChild(inlineButton(button, msg, pane));
      keyboard.appendChild(line);
    }
    return keyboard;
  }

  function inlineButton(button, msg, pane) {
    if (button.url) {
      const a = link(button.url, "inline-button url");
      a.textContent = `${button.text} ↗`;
      return a;
    }
    const node = el("button", "inline-button", button.text);
    node.type = "button";
    if (typeof button.callback_data === "string") {
      node.addEventListener("click", () => pane.press(msg.message_id, button.callback_data, node));
    } else if (button.copy_text && button.copy_text.text) {
      node.addEventListener("click", () => pane.copy(button.copy_text.text));
    } else {
      node.disabled = true;
      node.title = "Phòng thử chưa hỗ trợ loại nút này";
    }
    return node;
  }

  function renderQuote(msg, pane) {
    const target = msg.reply_to_message_id && pane.messages.get(msg.reply_to_message_id);
    if (!target) return null;
    const text = target.text || target.caption || (target.media_kind ? "Tệp đính kèm" : "");
    return el("div", "quote", text.length > 80 ? `${text.slice(0, 80)}…` : text);
  }

  function renderMessage(msg, pane) {
    const row = el("div", `msg ${msg.from_bot ? "bot" : "me"}`);
    row.dataset.messageId = msg.message_id;
    const bubble = el("div", "bubble");
    row.appendChild(bubble);
    if (msg.deleted) {
      row.classList.add("deleted");
      bubble.appendChild(el("div", "text", "🗑 Tin nhắn đã bị xoá"));
      return row;
    }
    const quote = renderQuote(msg, pane);
    if (quote) bubble.appendChild(quote);
    const media = renderMedia(msg);
    if (media) bubble.appendChild(media);
    if (msg.contact) bubble.appendChild(renderContact(msg.contact));
    if (msg.poll) bubble.appendChild(renderPoll(msg, pane));
    const options = msg.from_bot ? { onCommand: (cmd) => pane.sendText(cmd) } : {};
    const body = msg.text !== null && msg.text !== undefined
      ? renderFormatted(msg.text, msg.entities, options)
      : renderFormatted(msg.caption || "", msg.caption_entities, options);
    if (body.childNodes.length) {
      const text = el("div", "text");
      text.appendChild(body);
      bubble.appendChild(text);
    }
    // "đã sửa" only where this page showed the message and then saw it change: an edit made before
    // the chat was opened (a step's question answered, a tracker updated) changed nothing one read.
    const editedInSight = msg.edited && pane.editedInSight.has(msg.message_id);
    bubble.appendChild(renderMeta(msg, editedInSight));
    if (editedInSight) row.dataset.edited = "1";
    const keyboard = msg.from_bot ? renderInlineKeyboard(msg, pane) : null;
    if (keyboard) row.appendChild(keyboard);
    return row;
  }

  function renderMeta(msg, edited) {
    const meta = el("div", "meta");
    if (edited) meta.appendChild(el("span", "edited", "đã sửa"));
    const time = el("time", null, timeFormat.format(new Date(msg.date * 1000)));
    time.dateTime = new Date(msg.date * 1000).toISOString();
    meta.appendChild(time);
    if (!msg.from_bot) meta.appendChild(el("span", "ticks", "✓✓"));
    return meta;
  }

  // -- a chat pane ---------------------------------------------------------------------------------
  class Pane {
    constructor(persona, index) {
      this.persona = persona;
      this.chatId = persona.user_id;
      this.messages = new Map(); // message id → view from the emulator
      this.nodes = new Map(); // message id → row element
      this.editedInSight = new Set(); // ids of messages edited after this page had shown them
      this.keyboardRequest = 0;
      this.root = $("#pane-template").content.firstElementChild.cloneNode(true);
      this.root.dataset.chatId = this.chatId;
      this.list = $(".messages", this.root);
      this.input = $(".text-input", this.root);
      this.keyboard = $(".reply-keyboard", this.root);
      this.keyboardToggle = $(".keyboard-toggle", this.root);
      this.toastNode = $(".toast", this.root);
      this.typingNode = $(".typing", this.root);
      this.startHint = $(".start-hint", this.root);
      this.startBar = $(".start-bar", this.root);
      this.pill = $(".new-pill", this.root);
      this.following = true; // the view sticks to the newest message until the user scrolls up
      this.foldedByScroll = false; // the reply keyboard folded away by scrolling up (not by ⌨)
      this.lastScrollTop = 0;
      this.awaitingAnswer = false; // a button was pressed: its answer, when it comes as a new message, is shown
      this.unseen = 0; // messages that arrived below the view while the user read older ones
      this.fillHead(index);
      this.wire();
    }

    fillHead(index) {
      const avatar = $(".avatar", this.root);
      avatar.textContent = initial(this.persona.name);
      avatar.style.background = AVATAR_COLORS[index % AVATAR_COLORS.length];
      $(".pane-name", this.root).textContent = this.persona.name;
      $(".pane-role", this.root).textContent = [roleLabel(this.persona), this.persona.cell].filter(Boolean).join(" · ");
    }

    wire() {
      $(".input-row", this.root).addEventListener("submit", (event) => {
        event.preventDefault();
        this.submit();
      });
      this.input.addEventListener("keydown", (event) => {
        // Enter sends; Shift+Enter is a new line; an IME still composing a letter keeps the key.
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          this.submit();
        }
      });
      $(".file-input", this.root).addEventListener("change", (event) => {
        const file = event.target.files[0];
        event.target.value = "";
        if (file) this.sendFile(file);
      });
      $(".pane-close", this.root).addEventListener("click", () => closePane(this.chatId));
      $(".start-button", this.root).addEventListener("click", () => this.sendText("/start"));
      $(".start-bar-button", this.root).addEventListener("click", () => this.sendText("/start"));
      this.keyboardToggle.addEventListener("click", () => {
        this.root.classList.toggle("keyboard-hidden");
        this.foldedByScroll = false; // the member's own choice: it stays as they left it
        this.follow();
      });
      this.list.addEventListener("scroll", () => this.scrolled(), { passive: true });
      this.pill.addEventListener("click", () => {
        this.following = true;
        this.scrollToEnd();
      });
      // A keyboard that appears or goes, a photo that loads: the newest message stays in view.
      new ResizeObserver(() => this.follow()).observe(this.list);
      this.list.addEventListener("load", () => this.follow(), true);
      this.list.addEventListener("loadedmetadata", () => this.follow(), true);
    }

    // Messages the member only received (broadcasts, or after a reset) and no buttons yet: Telegram's
    // START is gone once a chat has messages, so a ▶ Bắt đầu bar stays until the member writes.
    updateStart() {
      const views = [...this.messages.values()];
      const wrote = views.some((view) => !view.from_bot);
      const buttons = this.root.classList.contains("has-keyboard");
      this.startBar.hidden = !views.length || wrote || buttons;
    }

    distanceToEnd() {
      return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight;
    }

    scrolled() {
      if (!this.list.clientHeight) return; // a hidden pane has no scroll position to read
      const top = this.list.scrollTop;
      const up = top < this.lastScrollTop;
      const down = top > this.lastScrollTop;
      this.lastScrollTop = top;
      const wasFollowing = this.following;
      const atEnd = this.distanceToEnd() < FOLLOW_SLACK;
      // Only scrolling up leaves the newest message: a scroll event that finds the view short of the end because
      // a message or the reply keyboard grew since it was queued is taken to the end, as follow() would.
      this.following = atEnd || (wasFollowing && !up);
      if (this.following && !atEnd) this.scrollToEnd();
      if (this.following) this.markSeen();
      // Reading older messages on a phone: the reply keyboard folds away behind ⌨ to give room, and comes back
      // when the member scrolls down to the newest message again (unless they folded it with ⌨ themselves).
      const keyboard = this.root.classList.contains("has-keyboard");
      if (wasFollowing && !this.following && isPhone() && keyboard && !this.root.classList.contains("keyboard-hidden")) {
        this.root.classList.add("keyboard-hidden");
        this.foldedByScroll = true;
      } else if (atEnd && down && this.foldedByScroll) {
        this.root.classList.remove("keyboard-hidden");
        this.foldedByScroll = false;
      }
    }

    follow() {
      if (this.following) this.scrollToEnd();
    }

    markSeen() {
      this.unseen = 0;
      this.pill.hidden = true;
    }

    arrivedUnseen() {
      this.unseen += 1;
      this.pill.textContent = `↓ ${this.unseen} tin mới`;
      this.pill.hidden = false;
    }

    async load() {
      await Promise.all([this.loadHistory(), this.refreshKeyboard()]);
    }

    async loadHistory() {
      try {
        const views = await api("GET", `/chats/${this.chatId}/messages`);
        views.forEach((view) => this.upsert(view, { scroll: false }));
        this.following = true;
        this.scrollToEnd();
      } catch (error) {
        this.toast(`Không tải được tin nhắn: ${error.message}`);
      }
    }

    clear() {
      this.messages.clear();
      this.editedInSight.clear();
      this.nodes.clear();
      this.list.replaceChildren();
      this.renderKeyboard(null);
      this.startHint.hidden = false;
      this.updateStart();
    }

    upsert(view, { scroll = true } = {}) {
      const old = this.messages.get(view.message_id);
      if (old && old.last_seq > view.last_seq) return; // an older copy arriving late
      this.messages.set(view.message_id, view);
      if (old && view.edited && old.last_seq !== view.last_seq) this.editedInSight.add(view.message_id);
      this.startHint.hidden = true;
      this.updateStart();
      const row = renderMessage(view, this);
      const existing = this.nodes.get(view.message_id);
      this.nodes.set(view.message_id, row);
      if (existing) {
        existing.replaceWith(row);
        if (old && old.last_seq !== view.last_seq) row.classList.add("changed");
        if (scroll) this.follow();
        return;
      }
      this.insertInOrder(row, view.message_id);
      if (view.from_bot) this.typing(null);
      if (!scroll) return;
      // What the user sent themselves, and the bot's first new message after they pressed a button (the answer to
      // a button tapped in an older, taller message): always shown.
      if (!view.from_bot || this.awaitingAnswer) this.following = true;
      if (view.from_bot) this.awaitingAnswer = false;
      if (this.following) {
        this.scrollToEnd();
      } else {
        this.arrivedUnseen();
      }
    }

    insertInOrder(row, messageId) {
      const later = [...this.nodes.entries()]
        .filter(([id, node]) => id > messageId && node.isConnected)
        .sort((a, b) => a[0] - b[0])[0];
      this.list.insertBefore(row, later ? later[1] : null);
    }

    scrollToEnd() {
      this.list.scrollTop = this.list.scrollHeight;
      this.markSeen();
    }

    // The reply keyboard lives on the chat, so fetch it after any message in this chat.
    async refreshKeyboard() {
      const request = ++this.keyboardRequest;
      try {
        const keyboard = await api("GET", `/chats/${this.chatId}/keyboard`);
        if (request === this.keyboardRequest) this.renderKeyboard(keyboard);
      } catch (_) {
        if (request === this.keyboardRequest) this.renderKeyboard(null);
      }
    }

    renderKeyboard(keyboard) {
      const rows = (keyboard && keyboard.keyboard) || [];
      this.keyboard.replaceChildren();
      for (const row of rows) {
        const line = el("div", "reply-row");
        for (const raw of row) {
          const button = typeof raw === "string" ? { text: raw } : raw;
          const node = el("button", "reply-button", button.text);
          node.type = "button";
          if (button.request_contact) node.classList.add("contact-button");
          node.addEventListener("click", () => this.replyButton(button));
          line.appendChild(node);
        }
        this.keyboard.appendChild(line);
      }
      this.root.classList.toggle("has-keyboard", rows.length > 0);
      this.keyboardToggle.hidden = rows.length === 0;
      this.updateStart();
      this.input.placeholder = (keyboard && keyboard.input_field_placeholder) || "Nhập tin nhắn…";
    }

    async replyButton(button) {
      if (button.request_contact) {
        const ok = await ask("Chia sẻ số điện thoại?",
          `Bot sẽ nhận số điện thoại ${this.persona.phone || "của bạn"}. Đồng ý chia sẻ?`, "Chia sẻ");
        if (!ok) return;
      }
      await this.act(() => api("POST", `/users/${this.chatId}/reply-button`, { text: button.text }));
    }

    submit() {
      const text = this.input.value;
      if (!text.trim()) return;
      this.input.value = "";
      this.sendText(text);
    }

    async sendText(text) {
      await this.act(() => api("POST", `/users/${this.chatId}/text`, { text }), () => { this.input.value = text; });
    }

    async sendFile(file) {
      const form = new FormData();
      form.append("file", file, file.name);
      form.append("kind", fileKind(file));
      const caption = this.input.value.trim();
      if (caption) form.append("caption", caption);
      this.input.value = "";
      await this.act(() => api("POST", `/users/${this.chatId}/file`, form));
    }

    async press(messageId, data, node) {
      node.classList.add("busy");
      setTimeout(() => node.classList.remove("busy"), 8000);
      this.awaitingAnswer = true;
      await this.act(() => api("POST", `/users/${this.chatId}/press`, { message_id: messageId, data }));
    }

    async answerPoll(messageId, index, node) {
      node.classList.add("busy");
      await this.act(() => api("POST", `/users/${this.chatId}/poll-answer`, { message_id: messageId, option_ids: [index] }));
    }

    async copy(text) {
      try {
        await navigator.clipboard.writeText(text);
        this.toast("Đã sao chép");
      } catch (_) {
        this.toast(text);
      }
    }

    async act(action, onError) {
      try {
        await action();
      } catch (error) {
        if (onError) onError();
        this.toast(`Không gửi được: ${error.message}`);
      }
    }

    answered(event) {
      this.root.querySelectorAll(".inline-button.busy").forEach((node) => node.classList.remove("busy"));
      if (!event.text) return;
      if (event.show_alert) {
        ask(this.persona.name, event.text, "Đóng", { cancel: false });
      } else {
        this.toast(event.text);
      }
    }

    toast(text) {
      this.toastNode.textContent = text;
      this.toastNode.hidden = false;
      clearTimeout(this.toastTimer);
      this.toastTimer = setTimeout(() => { this.toastNode.hidden = true; }, 4000);
    }

    typing(action) {
      clearTimeout(this.typingTimer);
      this.typingNode.hidden = !action;
      if (!action) return;
      this.typingNode.textContent = action.startsWith("upload") ? "đang gửi tệp…" : "đang nhập…";
      this.typingTimer = setTimeout(() => { this.typingNode.hidden = true; }, 5000);
    }
  }

  function fileKind(file) {
    const name = file.name.toLowerCase();
    if (PHOTO_TYPES.includes(file.type)) return "photo";
    if (/\.(ogg|oga|opus)$/.test(name) || file.type === "audio/ogg") return "voice";
    if (file.type.startsWith("audio/")) return "audio";
    if (file.type.startsWith("video/")) return "video";
    return "document"; // CSV, XLSX and anything else
  }

  // -- panes and personas ------------------------------------------------------------------------
  function isPhone() {
    return window.matchMedia(`(max-width: ${PHONE_WIDTH}px)`).matches;
  }

  async function openPane(persona) {
    let pane = state.panes.get(persona.user_id);
    if (!pane) {
      pane = new Pane(persona, state.personas.indexOf(persona));
      state.panes.set(persona.user_id, pane);
      $("#panes").appendChild(pane.root);
      activate(persona.user_id);
      await pane.load();
    } else {
      activate(persona.user_id);
    }
    if (isPhone()) return; // focusing would pop up the phone's keyboard over the chat
    pane.root.scrollIntoView({ behavior: "smooth", inline: "nearest", block: "nearest" });
    pane.input.focus({ preventScroll: true });
  }

  function closePane(chatId) {
    const pane = state.panes.get(chatId);
    if (!pane) return;
    pane.root.remove();
    state.panes.delete(chatId);
    if (state.active === chatId) state.active = null;
    activate(state.active ?? [...state.panes.keys()].pop() ?? null);
  }

  // A chat is in sight when its pane is open, and on a phone when it is the one shown.
  function inSight(chatId) {
    return state.panes.has(chatId) && (!isPhone() || state.active === chatId);
  }

  function showUnread(chatId) {
    const badge = document.querySelector(`.persona[data-user-id='${chatId}'] .unread`);
    if (!badge) return;
    const count = state.unread.get(chatId) || 0;
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.hidden = count === 0;
    badge.title = count ? `${count} tin mới` : "";
  }

  function activate(chatId) {
    state.active = chatId;
    for (const id of [...state.unread.keys()]) {
      if (inSight(id)) {
        state.unread.delete(id);
        showUnread(id);
      }
    }
    for (const [id, pane] of state.panes) pane.root.classList.toggle("active", id === chatId);
    document.querySelectorAll(".persona").forEach((button) => {
      const id = Number(button.dataset.userId);
      button.classList.toggle("current", id === chatId);
      button.classList.toggle("open", state.panes.has(id));
      button.setAttribute("aria-pressed", String(state.panes.has(id)));
    });
    $("#empty-hint").hidden = state.panes.size > 0;
    document.body.classList.toggle("many-panes", state.panes.size >= 3);
    const tab = document.querySelector(".persona.current");
    if (tab && isPhone()) tab.scrollIntoView({ inline: "nearest", block: "nearest" });
    const shown = state.panes.get(chatId);
    if (shown) shown.follow(); // back on a chat: what arrived meanwhile is in view
    stripHints();
    document.dispatchEvent(new CustomEvent("sandbox:active", { detail: { chatId } }));
  }

  // The persona strip on a phone scrolls sideways: a fade and an arrow say there is more.
  function stripHints() {
    const strip = $(".personas");
    const more = strip.scrollWidth - strip.scrollLeft - strip.clientWidth > 2;
    strip.classList.toggle("more-right", more);
    strip.classList.toggle("more-left", strip.scrollLeft > 2);
  }

  async function loadPersonas() {
    try {
      return await api("GET", "/personas");
    } catch (error) {
      if (error.status !== 404) throw error;
      state.hasControls = false; // a bare emulator: its users, no demo data or clock to move
      const users = await api("GET", "/users");
      return users.map((u) => ({
        key: null, user_id: u.id, name: personaName(u), role: null, cell: null, phone: u.phone_number, linked: null,
      }));
    }
  }

  // A persona who links (an invite code, a shared number) is no longer "chưa kết nối".
  let linkedTimer = null;
  function refreshLinked() {
    clearTimeout(linkedTimer);
    linkedTimer = setTimeout(async () => {
      const fresh = await loadPersonas().catch(() => null);
      if (!fresh) return;
      for (const persona of state.personas) {
        const now = fresh.find((p) => p.user_id === persona.user_id);
        if (!now || now.linked === persona.linked) continue;
        persona.linked = now.linked;
        const label = roleLabel(persona);
        const chip = document.querySelector(`.persona[data-user-id='${persona.user_id}']`);
        if (chip) {
          $(".persona-role", chip).textContent = label;
          chip.title = `${persona.name} — ${label}`;
        }
        const pane = state.panes.get(persona.user_id);
        if (pane) pane.fillHead(state.personas.indexOf(persona));
      }
    }, 300);
  }

  function renderPersonas() {
    const list = $("#persona-list");
    list.replaceChildren();
    state.personas.forEach((persona, index) => {
      const item = el("li");
      const button = el("button", "persona");
      button.type = "button";
      button.dataset.userId = persona.user_id;
      button.title = `${persona.name} — ${roleLabel(persona)}`;
      if (persona.key) button.dataset.key = persona.key;
      const avatar = el("span", "avatar", initial(persona.name));
      avatar.style.background = AVATAR_COLORS[index % AVATAR_COLORS.length];
      avatar.setAttribute("aria-hidden", "true");
      const who = el("span", "persona-who");
      who.appendChild(el("span", "persona-name", persona.name));
      who.appendChild(el("span", "persona-short", shortName(persona.name))); // a phone's chip: "Hồng Nhung"
      who.appendChild(el("span", "persona-role", roleLabel(persona)));
      if (persona.cell) who.appendChild(el("span", "persona-cell", persona.cell));
      const unread = el("span", "unread");
      unread.hidden = true;
      button.append(avatar, who, unread);
      button.addEventListener("click", () => openPane(persona));
      item.appendChild(button);
      list.appendChild(item);
      showUnread(persona.user_id);
    });
    activate(state.active);
  }

  // -- events from the emulator: server-sent events, or long polling when those fail ------------
  function handleEvent(event) {
    state.cursor = Math.max(state.cursor, event.seq);
    document.dispatchEvent(new CustomEvent("sandbox:event", { detail: event })); // 📋 exercises.js listens
    const pane = state.panes.get(event.chat_id);
    if (event.type === "message_new" && event.message && event.message.from_bot && !inSight(event.chat_id)) {
      state.unread.set(event.chat_id, (state.unread.get(event.chat_id) || 0) + 1);
      showUnread(event.chat_id);
    }
    if (event.type === "message_new" && state.personas.some((p) => p.user_id === event.chat_id && p.linked === false)) {
      refreshLinked();
    }
    if (!pane) return; // a pane loads its whole history when it opens
    switch (event.type) {
      case "message_new":
        pane.upsert(event.message);
        pane.refreshKeyboard();
        break;
      case "message_edited":
      case "message_deleted":
      case "poll_updated":
        pane.upsert(event.message);
        break;
      case "callback_answered":
        pane.answered(event);
        break;
      case "chat_action":
        pane.typing(event.action);
        break;
      default:
        break;
    }
  }

  function startEvents() {
    const forcePoll = new URLSearchParams(window.location.search).get("transport") === "poll";
    if (forcePoll || !window.EventSource) {
      longPoll();
      return;
    }
    const source = new EventSource(`${API}/stream?after_seq=${state.cursor}`);
    let opened = false;
    let lost = false;
    source.onopen = async () => {
      opened = true;
      connection(null);
      if (!lost) return;
      lost = false;
      const info = await api("GET", "/bot").catch(() => null);
      if (info && info.seq < state.cursor) { // a restarted sandbox counts from 0 again
        source.close();
        state.cursor = info.seq;
        startEvents();
      }
      resyncPanes();
    };
    source.onerror = () => {
      if (!opened) { // the stream never worked here (a proxy that buffers it?): poll instead
        source.close();
        longPoll();
        return;
      }
      lost = true;
      connection("Mất kết nối với phòng thử, đang kết nối lại…");
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message) => handleEvent(JSON.parse(message.data)));
    }
  }

  async function longPoll() {
    document.body.dataset.transport = "poll";
    for (;;) {
      try {
        const answer = await api("GET", `/events?after_seq=${state.cursor}&timeout=25`);
        connection(null);
        if (answer.seq < state.cursor) { // a restarted sandbox counts from 0 again
          state.cursor = answer.seq;
          resyncPanes();
        }
        answer.events.forEach(handleEvent);
      } catch (_) {
        connection("Mất kết nối với phòng thử, đang kết nối lại…");
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
  }

  function resyncPanes() {
    for (const pane of state.panes.values()) {
      pane.clear();
      pane.load();
    }
  }

  function connection(text) {
    const node = $("#connection");
    node.textContent = text || "";
    node.hidden = !text;
  }

  // -- a large dialog for alerts and confirmations ----------------------------------------------
  let settleDialog = null; // resolves the question on screen

  function ask(title, text, okLabel, { cancel = true } = {}) {
    const dialog = $("#dialog");
    if (settleDialog) settleDialog(false); // a newer question replaces the one on screen
    $("#dialog-title").textContent = title;
    $("#dialog-text").textContent = text;
    $("#dialog-ok").textContent = okLabel || "Đồng ý";
    $("#dialog-cancel").hidden = !cancel;
    return new Promise((resolve) => {
      settleDialog = (value) => {
        settleDialog = null;
        if (dialog.open) dialog.close();
        resolve(value);
      };
      if (!dialog.open) dialog.showModal();
      $("#dialog-ok").focus();
    });
  }

  function wireDialog() {
    const dialog = $("#dialog");
    $("#dialog-ok").addEventListener("click", () => settleDialog && settleDialog(true));
    $("#dialog-cancel").addEventListener("click", () => settleDialog && settleDialog(false));
    // Escape closes the dialog without a click; a dialog open again belongs to a newer question.
    dialog.addEventListener("close", () => { if (!dialog.open && settleDialog) settleDialog(false); });
  }

  // -- trainer tools ---------------------------------------------------------------------------------
  function showClock(now) {
    $("#clock").textContent = `Giờ phòng thử: ${dateTimeFormat.format(new Date(now))}`;
  }

  // The sandbox's time from the start, not only after the first jump.
  async function loadClock() {
    if (!state.hasControls) return;
    const answer = await api("GET", "/clock").catch(() => null);
    if (answer) showClock(answer.now);
  }

  async function advanceClock(amount) {
    try {
      const answer = await api("POST", "/clock", { advance: amount });
      showClock(answer.now);
    } catch (error) {
      $("#clock").textContent = `Không tua được: ${error.message}`;
    }
  }

  async function resetDemo() {
    const ok = await ask("Khôi phục dữ liệu mẫu?",
      "Mọi tin nhắn sẽ bị xoá và dữ liệu mẫu được nạp lại như ban đầu.", "Khôi phục");
    if (!ok) return;
    const button = $("#reset");
    button.disabled = true;
    try {
      await api("POST", "/demo/reset");
      await loadClock();
      state.personas = await loadPersonas();
      state.unread.clear();
      renderPersonas();
      for (const pane of state.panes.values()) pane.clear();
      for (const pane of state.panes.values()) await pane.load();
      document.body.dataset.resets = String(Number(document.body.dataset.resets || 0) + 1);
      document.dispatchEvent(new CustomEvent("sandbox:reset"));
    } catch (error) {
      await ask("Không khôi phục được", error.message, "Đóng", { cancel: false });
    } finally {
      button.disabled = false;
    }
  }

  function wireTrainer() {
    document.querySelectorAll("[data-advance]").forEach((button) => {
      button.addEventListener("click", () => advanceClock(button.dataset.advance));
    });
    $("#reset").addEventListener("click", resetDemo);
    const toggle = $("#trainer-toggle");
    toggle.addEventListener("click", () => {
      const shown = document.body.classList.toggle("show-trainer");
      toggle.setAttribute("aria-expanded", String(shown));
    });
    $(".trainer").hidden = toggle.hidden = !state.hasControls;
  }

  // On a phone one pane shows; growing the window back shows them all again.
  function watchWidth() {
    window.matchMedia(`(max-width: ${PHONE_WIDTH}px)`).addEventListener("change", () => activate(state.active));
    $(".personas").addEventListener("scroll", stripHints, { passive: true });
    window.addEventListener("resize", stripHints);
  }

  async function init() {
    try {
      const info = await api("GET", "/bot");
      state.cursor = info.seq;
      state.personas = await loadPersonas();
    } catch (error) {
      connection(`Không kết nối được phòng thử: ${error.message}`);
      return;
    }
    renderPersonas();
    wireDialog();
    wireTrainer();
    loadClock();
    watchWidth();
    startEvents();
    document.body.dataset.ready = "1";
  }

  init();
})();
