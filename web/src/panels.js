// The page's read-only panels: the diagram (zoom, click to jump), costs, checks and problems.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "onclick") node.addEventListener("click", value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const number = new Intl.NumberFormat("en");

// 3_670_000_000 -> "3.67G", as the command line prints multiply-adds
export function human(n) {
  for (const [size, unit] of [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]]) {
    if (Math.abs(n) >= size) return `${(n / size).toFixed(2).replace(/\.?0+$/, "")}${unit}`;
  }
  return String(n);
}

// -- the diagram ------------------------------------------------------------------------------

export class Diagram {
  constructor(holder, jump) {
    this.holder = holder;
    this.jump = jump;   // (line) => void: the editor's cursor to that line
    this.scale = 1;
    holder.addEventListener("wheel", (event) => {
      if (!event.ctrlKey) return;
      event.preventDefault();
      this.zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15);
    }, { passive: false });
    holder.addEventListener("click", (event) => {
      const box = event.target.closest("[data-line]");
      if (box) { event.preventDefault(); this.jump(Number(box.dataset.line)); }
    });
  }

  show(svgText) {
    const scroll = [this.holder.scrollLeft, this.holder.scrollTop];
    this.holder.innerHTML = svgText;
    this.svg = this.holder.querySelector("svg");
    if (!this.svg) return;
    // Graphviz writes sizes in points; keep them to scale from
    this.width = parseFloat(this.svg.getAttribute("width"));
    this.height = parseFloat(this.svg.getAttribute("height"));
    this.apply();
    [this.holder.scrollLeft, this.holder.scrollTop] = scroll;
  }

  zoom(factor) {
    this.scale = Math.min(8, Math.max(0.1, this.scale * factor));
    this.apply();
  }

  fit() {
    if (!this.svg) return;
    const room = this.holder.clientWidth - 16;
    this.scale = Math.min(1.5, Math.max(0.1, room / this.width));
    this.apply();
  }

  apply() {
    if (!this.svg) return;
    this.svg.setAttribute("width", `${this.width * this.scale}pt`);
    this.svg.setAttribute("height", `${this.height * this.scale}pt`);
  }
}

// -- costs --------------------------------------------------------------------------------------

const COLUMNS = [["name", "name"], ["structure", "layers"], ["output", "output"],
  ["macs", "multiply-adds"], ["params", "params"]];

function cell(row, key) {
  if (key === "name" && row.title) return el("span", {}, row.name, " ", el("span", { class: "quiet" }, row.title));
  if (key === "output") return (row.output || []).join("×");
  if (key === "macs" || key === "params") return number.format(row[key]);
  return String(row[key] ?? "");
}

function costTable(title, rows, totals) {
  const head = el("tr", {}, ...COLUMNS.map(([, label]) => el("th", {}, label)));
  const body = rows.map((row) => el("tr", { class: row.kind || "" },
    ...COLUMNS.map(([key]) => el("td", { class: key }, cell(row, key)))));
  const total = el("tr", { class: "total" }, el("td", {}, "total"), el("td", {}, ""),
    el("td", {}, ""), el("td", { class: "macs" }, number.format(totals.macs)),
    el("td", { class: "params" }, number.format(totals.params)));
  return el("section", {}, el("h3", {}, title),
    el("table", { class: "costs" }, el("thead", {}, head), el("tbody", {}, ...body, total)));
}

export function renderCosts(element, costs) {
  element.textContent = "";
  if (!costs) {
    element.append(el("p", { class: "quiet" }, "No network built yet."));
    return;
  }
  const summary = el("p", { class: "summary" },
    `${costs.network}: input ${costs.input.join("×")}, ${costs.depth} weighted layers, `,
    el("b", {}, `${human(costs.macs)} multiply-adds`), ` (${number.format(costs.macs)}), `,
    el("b", {}, `${human(costs.params)} params`), ` (${number.format(costs.params)})`);
  element.append(summary, costTable("By stage", costs.stages, costs),
    costTable("By block", costs.blocks, costs));
}

// -- checks -------------------------------------------------------------------------------------

export function renderChecks(element, checks, jump) {
  element.textContent = "";
  if (!checks || !checks.length) {
    element.append(el("p", { class: "quiet" },
      "No checks: add 'expect flops 3.6G within 1%' or 'budget params <= 25M' to an instance."));
    return;
  }
  const rows = checks.map((c) => {
    const asked = c.kind === "budget" ? `≤ ${human(c.value)}` : `${human(c.value)} ± ${c.tolerance}%`;
    const where = c.line ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); jump(c.line); } },
      `line ${c.line}`) : c.where;
    return el("tr", { class: c.ok ? "ok" : "failed" },
      el("td", {}, c.ok ? "✔" : "✘"), el("td", {}, `${c.kind} ${c.metric}`), el("td", {}, asked),
      el("td", {}, `${human(c.measured)} (${number.format(c.measured)})`), el("td", {}, where));
  });
  element.append(el("table", { class: "checks" },
    el("thead", {}, el("tr", {}, ...["", "check", "asked", "measured", "where"].map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows)));
}

// -- problems -----------------------------------------------------------------------------------

export function renderProblems(element, diagnostics, jump) {
  element.textContent = "";
  for (const d of diagnostics) {
    const at = d.span ? `${d.span.file}:${d.span.line}:${d.span.column}` : "";
    const item = el("li", { class: d.severity },
      el("span", { class: "code" }, d.code), " ",
      d.span && d.here ? el("a", { href: "#", onclick: (e) => { e.preventDefault(); jump(d.span.line, d.span.column); } }, at) : at,
      " ", el("span", { class: "message" }, d.message),
      d.hint ? el("div", { class: "hint" }, `hint: ${d.hint}`) : null);
    element.append(item);
  }
}
