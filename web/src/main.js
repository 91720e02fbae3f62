// The playground page: an editor on the left; the diagram, costs, checks, diff and problems of
// the text on the right, refreshed as the user types (POST /api/check, debounced; a newer
// request aborts the one in flight).
import { EditorState, EditorSelection } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { closeBrackets } from "@codemirror/autocomplete";
import { searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { rdslLanguage, rdslHighlight } from "./rdsl.js";
import { assist } from "./assist.js";
import { renderDiff } from "./diff.js";
import { Diagram, renderChecks, renderCosts, renderProblems } from "./panels.js";

const DEBOUNCE_MS = 200;
const $ = (id) => document.getElementById(id);

const page = {
  served: null,      // the FILE given to `resdsl serve`, or null
  baseline: "",      // the text as last saved (or as loaded from the menu)
  fromServed: false, // whether the editor holds the served file (else a bundled network)
  network: "",       // the network shown, of those the text builds
  inFlight: null,    // the AbortController of the request in flight
  timer: null,
  generation: 0,     // bumped per request: only the newest one's answer is shown
};

async function getJSON(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.message || response.statusText), { body });
  return body;
}

function status(text, kind = "") {
  const s = $("status");
  s.textContent = text;
  s.className = kind;
}

// -- the editor --------------------------------------------------------------------------------

let view;

function makeEditor(language, text) {
  view = new EditorView({
    parent: $("editor"),
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), history(), drawSelection(),
        indentOnInput(), bracketMatching(), closeBrackets(), highlightSelectionMatches(),
        language, rdslHighlight, lintGutter(), EditorView.lineWrapping, assist(),
        keymap.of([{ key: "Mod-s", run: () => { save(); return true; } },
          indentWithTab, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
        EditorView.updateListener.of((update) => { if (update.docChanged) schedule(); }),
      ],
    }),
  });
  window.playground = { view }; // for tests and the console
}

function setText(text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

// the cursor to `line` (1-based), scrolled into the middle of the editor
function jump(line, column = 1) {
  const doc = view.state.doc;
  const at = doc.line(Math.max(1, Math.min(line, doc.lines)));
  const pos = Math.min(at.from + column - 1, at.to);
  view.dispatch({ selection: EditorSelection.cursor(pos),
    effects: EditorView.scrollIntoView(pos, { y: "center" }) });
  view.focus();
}

// -- checking ----------------------------------------------------------------------------------

function schedule() {
  clearTimeout(page.timer);
  page.timer = setTimeout(check, DEBOUNCE_MS);
}

async function check() {
  clearTimeout(page.timer);
  page.inFlight?.abort();
  const controller = new AbortController();
  page.inFlight = controller;
  const generation = ++page.generation;
  const text = view.state.doc.toString();
  status("checking…", "busy");
  let result;
  try {
    result = await getJSON("/api/check", {
      method: "POST", signal: controller.signal, headers: { "content-type": "application/json" },
      body: JSON.stringify({ text, level: $("level").value, fold: $("fold").checked,
        network: page.network || null }),
    });
  } catch (error) {
    if (error.name === "AbortError") return;
    result = error.body || { diagnostics: [{ code: "", severity: "error", message: String(error.message), span: null }] };
  }
  if (generation !== page.generation) return;
  page.inFlight = null;
  show(result, text);
}

// where a diagnostic is in this text: its own span, else the first note that is here
function placeIn(d, source) {
  if (d.span && d.span.file === source) return d.span;
  return (d.notes || []).map((n) => n.span).find((s) => s && s.file === source) || null;
}

function offset(doc, line, column) {
  if (line > doc.lines) return doc.length;
  const at = doc.line(Math.max(1, line));
  return Math.min(at.from + Math.max(1, column) - 1, at.to);
}

function show(result, text) {
  const doc = view.state.doc;
  const diagnostics = result.diagnostics || [];
  const marks = [];
  for (const d of diagnostics) {
    const span = placeIn(d, result.source);
    d.here = Boolean(span);
    if (!span) continue;
    d.span = span;
    const from = offset(doc, span.line, span.column);
    let to = offset(doc, span.end_line, span.end_column);
    if (to <= from) to = Math.min(from + 1, doc.length);
    marks.push({ from, to, severity: d.severity === "warning" ? "warning" : "error",
      source: d.code, message: d.message + (d.hint ? `\nhint: ${d.hint}` : "") });
  }
  view.dispatch(setDiagnostics(view.state, marks));
  renderProblems($("problems"), diagnostics, jump);
  const errors = diagnostics.filter((d) => d.severity !== "warning").length;
  if (result.svg) diagram.show(result.svg);
  else if (!errors) diagram.holder.textContent = "";
  // a text with errors keeps the last good figures, dimmed like the diagram
  if (result.costs || !errors) {
    renderCosts($("costs"), result.costs);
    renderChecks($("checks"), result.costs?.checks, jump);
  }
  for (const id of ["costs", "checks"]) $(id).classList.toggle("stale", errors > 0 && !result.costs);
  updateNetworks(result.networks || []);
  updateDiff(text);
  $("diagram-pane").classList.toggle("stale", errors > 0 && !result.svg);
  status(errors ? `${errors} error${errors > 1 ? "s" : ""}` : `${result.network ?? ""} ✔`,
    errors ? "error" : "ok");
}

function updateNetworks(names) {
  const select = $("network");
  const now = [...select.options].map((o) => o.value);
  if (names.length && names.join() !== now.join()) {
    select.replaceChildren(...names.map((n) => new Option(n, n)));
  }
  if (names.length && !names.includes(page.network)) page.network = names[0];
  select.value = page.network;
  select.disabled = names.length < 2;
}

function updateDiff(text) {
  const changed = renderDiff($("diff"), page.baseline, text);
  $("tab-diff").textContent = changed ? `Diff (${changed})` : "Diff";
}

// -- loading and saving -----------------------------------------------------------------------

async function openBundled(name) {
  if (!name) return;
  const source = await getJSON(`/api/network/${encodeURIComponent(name)}`);
  page.baseline = source.text;
  page.fromServed = false;
  page.network = source.network;
  setText(source.text);
  check();
  const line = source.line || 1;
  jump(line);
}

async function save() {
  if (!page.served) return;
  if (!page.fromServed && !confirm(`Replace ${page.served} with the text in the editor?`)) return;
  const text = view.state.doc.toString();
  try {
    const done = await getJSON("/api/save", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }) });
    page.baseline = text;
    page.fromServed = true;
    updateDiff(text);
    status(`saved ${done.file}`, "ok");
  } catch (error) {
    status(`not saved: ${error.message}`, "error");
  }
}

// -- the page ---------------------------------------------------------------------------------

let diagram;

function tabs() {
  for (const button of document.querySelectorAll("[data-tab]")) {
    button.addEventListener("click", () => {
      for (const other of document.querySelectorAll("[data-tab]")) {
        other.classList.toggle("active", other === button);
        $(other.dataset.tab).hidden = other !== button;
      }
    });
  }
}

async function start() {
  const [language, served, networks] = await Promise.all([
    getJSON("/api/language"), getJSON("/api/file"), getJSON("/api/networks")]);
  const menu = $("open");
  menu.append(...networks.networks.map((n) => new Option(n, n)));
  menu.addEventListener("change", () => { openBundled(menu.value); menu.value = ""; });
  page.served = served.file;
  page.fromServed = Boolean(served.file);
  page.baseline = served.text ?? "";
  $("save").disabled = !served.file;
  $("save").title = served.file ? `Write the editor's text to ${served.file} (Ctrl+S)` : "Start 'resdsl serve FILE' to save";
  $("file").textContent = served.file || "scratch (not saved)";
  makeEditor(rdslLanguage(language), page.baseline);
  diagram = new Diagram($("diagram"), jump);
  $("zoom-in").addEventListener("click", () => diagram.zoom(1.25));
  $("zoom-out").addEventListener("click", () => diagram.zoom(1 / 1.25));
  $("zoom-fit").addEventListener("click", () => diagram.fit());
  for (const id of ["level", "fold"]) $(id).addEventListener("change", check);
  $("network").addEventListener("change", () => { page.network = $("network").value; check(); });
  $("save").addEventListener("click", save);
  tabs();
  if (!served.file) await openBundled(networks.networks.includes("resnet34") ? "resnet34" : networks.networks[0]);
  else check();
}

start().catch((error) => status(`cannot start: ${error.message}`, "error"));
