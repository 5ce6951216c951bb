// 📋 Bài tập: the current persona's exercises with ticks, and the trainer's board of everyone's progress
// (/?view=trainer). The ticks come from GET /_sandbox/exercises (sandbox/exercises.py, which reads the
// emulator's event log); chat.js tells this file of every event, of the persona in sight and of a reset.
"use strict";

(() => {
  const API = "/_sandbox/exercises";
  const LANGS = ["vi", "en", "bn"];
  const REFRESH_MS = 250; // events come in bursts (a press, its answer, an edit): one request after them
  const POLL_MS = 5000; // a slow poll as well, in case the event stream is down

  const params = new URLSearchParams(window.location.search);
  const lang = LANGS.includes(params.get("lang")) ? params.get("lang") : "vi";
  const board = params.get("view") === "trainer";
  const state = { personas: [], active: null, timer: null, request: 0 };

  const $ = (selector) => document.querySelector(selector);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function load() {
    const request = ++state.request;
    const response = await fetch(`${API}?lang=${lang}`);
    if (!response.ok) {
      const error = new Error(`HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    const data = await response.json();
    if (request !== state.request) return; // a newer answer is on its way
    state.personas = data.personas;
    render();
  }

  function refreshSoon() {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => load().catch(() => {}), REFRESH_MS);
  }

  function render() {
    if (board) {
      renderBoard();
      return;
    }
    const persona = state.personas.find((p) => p.user_id === state.active);
    $("#exercises-count").textContent = persona ? `${persona.done}/${persona.total}` : "";
    renderPanel(persona);
  }

  function item(exercise, withHint) {
    const li = el("li", exercise.done ? "exercise done" : "exercise");
    li.dataset.exercise = exercise.id;
    li.appendChild(el("span", "exercise-tick", exercise.done ? "✅" : "⬜"));
    const body = el("span", "exercise-body");
    body.appendChild(el("span", "exercise-title", exercise.title));
    if (withHint && !exercise.done) body.appendChild(el("span", "exercise-hint", exercise.hint));
    li.appendChild(body);
    li.setAttribute("aria-label", `${exercise.title}: ${exercise.done ? "đã xong" : "chưa làm"}`);
    return li;
  }

  // -- the panel: the persona in sight -----------------------------------------------------------------
  function renderPanel(persona) {
    const list = $("#exercise-list");
    list.replaceChildren();
    const who = $("#exercises-who");
    if (!persona) {
      who.textContent = state.active === null
        ? "Chọn một người ở danh sách để xem bài tập của người đó."
        : "Người này chưa có bài tập: chọn một đảng viên, bí thư chi bộ hoặc cán bộ đảng ủy.";
      return;
    }
    who.replaceChildren(el("b", null, persona.name), ` — ${persona.group_title}: `,
      el("span", "exercises-score", `đã xong ${persona.done}/${persona.total}`));
    persona.exercises.forEach((exercise) => list.appendChild(item(exercise, true)));
  }

  function showPanel(open) {
    $("#exercises").hidden = !open;
    $("#exercises-toggle").setAttribute("aria-expanded", String(open));
    document.body.classList.toggle("show-exercises", open);
    if (open) refreshSoon();
  }

  // -- the trainer's board: everyone, in large type --------------------------------------------------------
  function renderBoard() {
    const grid = $("#board-grid");
    grid.replaceChildren();
    if (!state.personas.length) grid.appendChild(el("p", "board-empty", "Chưa có người nào có bài tập."));
    for (const persona of state.personas) {
      const card = el("article", "board-card");
      card.dataset.key = persona.key;
      const head = el("header", "board-card-head");
      head.appendChild(el("h3", "board-name", persona.name));
      head.appendChild(el("p", "board-role", persona.group_title));
      const score = el("p", "board-score", `${persona.done}/${persona.total}`);
      if (persona.done === persona.total) score.classList.add("all-done");
      head.appendChild(score);
      const bar = el("div", "board-bar");
      const fill = el("span", "board-fill");
      fill.style.width = `${persona.total ? Math.round((100 * persona.done) / persona.total) : 0}%`;
      bar.appendChild(fill);
      head.appendChild(bar);
      card.appendChild(head);
      const list = el("ol", "exercise-list");
      persona.exercises.forEach((exercise) => list.appendChild(item(exercise, false)));
      card.appendChild(list);
      grid.appendChild(card);
    }
  }

  // -- wiring ------------------------------------------------------------------------------------------------
  async function init() {
    document.addEventListener("sandbox:active", (event) => { // from the start: a click may come before load()
      state.active = event.detail.chatId;
      if (!board) render();
    });
    try {
      await load();
    } catch (error) {
      if (error.status === 404) return; // a bare emulator: no personas, no exercises
    }
    document.addEventListener("sandbox:event", refreshSoon);
    document.addEventListener("sandbox:reset", refreshSoon);
    setInterval(() => load().catch(() => {}), POLL_MS);
    if (board) {
      document.body.classList.add("trainer-view");
      $("#board").hidden = false;
      document.title = "📋 Tiến độ bài tập — Phòng thử";
      return;
    }
    const toggle = $("#exercises-toggle");
    toggle.hidden = false;
    toggle.addEventListener("click", () => showPanel($("#exercises").hidden));
    $("#exercises-close").addEventListener("click", () => showPanel(false));
  }

  init();
})();
