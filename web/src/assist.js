// Hover and completion in the editor, answered by the server (POST /api/hover, /api/complete)
// with the machinery the language server uses. Positions go out as 1-based lines and columns.
import { hoverTooltip } from "@codemirror/view";
import { autocompletion } from "@codemirror/autocomplete";

function position(doc, pos) {
  const line = doc.lineAt(pos);
  return { line: line.number, column: pos - line.from + 1 };
}

async function ask(url, body, signal) {
  const response = await fetch(url, { method: "POST", signal,
    headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return response.ok ? response.json() : null;
}

// -- a little markdown: fenced code, "- " lists, paragraphs, **bold** and `code` ---------------

function inline(parent, text) {
  for (const part of text.split(/(\*\*[^*]+\*\*|`[^`]+`)/)) {
    if (!part) continue;
    if (part.startsWith("**")) parent.append(Object.assign(document.createElement("b"), { textContent: part.slice(2, -2) }));
    else if (part.startsWith("`")) parent.append(Object.assign(document.createElement("code"), { textContent: part.slice(1, -1) }));
    else parent.append(part);
  }
}

export function markdown(text) {
  const root = document.createElement("div");
  root.className = "cm-hover-doc";
  const blocks = text.split(/\n{2,}/);
  for (const block of blocks) {
    if (block.trim() === "---") {
      root.append(document.createElement("hr"));
    } else if (block.startsWith("```")) {
      const pre = document.createElement("pre");
      pre.textContent = block.replace(/^```\w*\n?/, "").replace(/\n?```$/, "");
      root.append(pre);
    } else {  // lines, with each run of "- " lines a list
      let list = null;
      let p = null;
      for (const line of block.split("\n")) {
        if (line.startsWith("- ")) {
          if (!list) root.append(list = document.createElement("ul"));
          const item = document.createElement("li");
          inline(item, line.slice(2));
          list.append(item);
          p = null;
        } else {
          if (p) p.append(document.createElement("br"));
          else root.append(p = document.createElement("p"));
          inline(p, line);
          list = null;
        }
      }
    }
  }
  return root;
}

// -- hover and completion -------------------------------------------------------------------

export function assist() {
  const hover = hoverTooltip(async (view, pos) => {
    const at = position(view.state.doc, pos);
    const answer = await ask("/api/hover", { text: view.state.doc.toString(), ...at }).catch(() => null);
    const found = answer?.hover;
    if (!found) return null;
    const doc = view.state.doc;
    const start = doc.line(Math.min(found.range.line, doc.lines)).from + found.range.column - 1;
    const endLine = doc.line(Math.min(found.range.end_line, doc.lines));
    const end = Math.min(endLine.from + found.range.end_column - 1, endLine.to);
    return { pos: Math.min(start, pos), end: Math.max(end, pos), above: true,
      create: () => ({ dom: markdown(found.markdown) }) };
  }, { hoverTime: 350 });

  let inFlight = null;
  const complete = async (context) => {
    const word = context.matchBefore(/[\w.]*/);
    if (!context.explicit && (!word || word.from === word.to)) {
      const before = context.state.sliceDoc(Math.max(0, context.pos - 2), context.pos);
      if (!/[:,(\s"]$/.test(before)) return null;
    }
    inFlight?.abort();
    inFlight = new AbortController();
    const at = position(context.state.doc, context.pos);
    const answer = await ask("/api/complete", { text: context.state.doc.toString(), ...at },
      inFlight.signal).catch(() => null);
    if (!answer?.items?.length) return null;
    return {
      from: word ? word.from : context.pos,
      options: answer.items.map((item) => ({ label: item.label, type: KIND[item.kind] || "text",
        detail: item.detail || "", apply: item.insert ?? item.label })),
      validFor: /^[\w.]*$/,
    };
  };
  return [hover, autocompletion({ override: [complete], activateOnTyping: true })];
}

// the server's kinds as CodeMirror's icons
const KIND = { op: "function", block: "class", template: "type", network: "variable",
  argument: "property", value: "variable", file: "namespace", keyword: "keyword" };
