// A side-by-side line diff of the text as last saved (left) and as it is now (right).

// Rows of [left line | null, right line | null, kind] by a longest common subsequence of lines;
// files here are a few hundred lines, so the quadratic table is small.
export function diffRows(before, after) {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  const common = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1
        : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const rows = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      rows.push({ left: i + 1, right: j + 1, kind: "same", text: [a[i], b[j]] });
      i++; j++;
    } else if (i < n && (j >= m || common[i + 1][j] >= common[i][j + 1])) {
      rows.push({ left: i + 1, right: null, kind: "removed", text: [a[i], ""] });
      i++;
    } else {
      rows.push({ left: null, right: j + 1, kind: "added", text: ["", b[j]] });
      j++;
    }
  }
  return paired(rows);
}

// A run of removed lines followed by a run of added ones, side by side as changed lines.
function paired(rows) {
  const out = [];
  for (let k = 0; k < rows.length;) {
    if (rows[k].kind !== "removed") { out.push(rows[k++]); continue; }
    const removed = [];
    while (k < rows.length && rows[k].kind === "removed") removed.push(rows[k++]);
    const added = [];
    while (k < rows.length && rows[k].kind === "added") added.push(rows[k++]);
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      const [r, a] = [removed[i], added[i]];
      out.push({ left: r?.left ?? null, right: a?.right ?? null,
        kind: r && a ? "changed" : r ? "removed" : "added", text: [r?.text[0] ?? "", a?.text[1] ?? ""] });
    }
  }
  return out;
}

// The table, with unchanged runs longer than 2 x `context` lines folded to one row.
export function renderDiff(element, before, after, context = 3) {
  const rows = diffRows(before, after);
  element.textContent = "";
  if (rows.every((r) => r.kind === "same")) {
    element.append(note("No changes since the last save."));
    return 0;
  }
  const table = document.createElement("table");
  table.className = "diff";
  const near = rows.map((r, k) => rows.slice(Math.max(0, k - context), k + context + 1)
    .some((o) => o.kind !== "same"));
  let folded = 0;
  const flush = () => {
    if (folded) table.append(line("fold", "", `${folded} unchanged lines`, "", ""));
    folded = 0;
  };
  for (const [k, r] of rows.entries()) {
    if (!near[k]) { folded++; continue; }
    flush();
    table.append(line(r.kind, r.left ?? "", r.text[0], r.right ?? "", r.text[1]));
  }
  flush();
  element.append(table);
  return rows.filter((r) => r.kind !== "same").length;
}

function line(kind, leftNumber, left, rightNumber, right) {
  const tr = document.createElement("tr");
  tr.className = kind;
  for (const [cls, text] of [["n", leftNumber], ["l", left], ["n", rightNumber], ["r", right]]) {
    const td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

function note(text) {
  const p = document.createElement("p");
  p.className = "quiet";
  p.textContent = text;
  return p;
}
