// Highlighting for .rdsl text: a small stream mode whose word lists come from the server
// (GET /api/language: the grammar's keywords and the op table's names), never typed here.
import { StreamLanguage, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";

const NUMBER = /^\d[\d_]*(\.\d+)?([eE][+-]?\d+)?[KMGT]?(?![\w.])/;
const DIMS = /^\d+(x\d+)+\b/;

export function rdslLanguage({ keywords, ops }) {
  const keywordSet = new Set(keywords);
  const opSet = new Set(ops);
  return StreamLanguage.define({
    name: "rdsl",
    token(stream) {
      if (stream.eatSpace()) return null;
      if (stream.match(/^#.*/)) return "comment";
      if (stream.match(/^"[^"\n]*"?/)) return "string";
      if (stream.match(DIMS) || stream.match(NUMBER)) return "number";
      const word = stream.match(/^[A-Za-z_][\w]*(\.[\w]+)*/);
      if (word) {
        const text = word[0];
        if (stream.peek() === ":" && !keywordSet.has(text)) return "labelName";
        if (keywordSet.has(text)) return "keyword";
        if (text === "x") return "operator";
        if (opSet.has(text)) return "typeName";
        return "variableName";
      }
      if (stream.match(/^(<=|\/\/|[-+*\/=%])/)) return "operator";
      stream.next();
      return "punctuation";
    },
    languageData: { commentTokens: { line: "#" } },
  });
}

export const rdslHighlight = syntaxHighlighting(HighlightStyle.define([
  { tag: tags.comment, color: "#6a737d", fontStyle: "italic" },
  { tag: tags.string, color: "#22863a" },
  { tag: tags.number, color: "#005cc5" },
  { tag: tags.keyword, color: "#d73a49", fontWeight: "bold" },
  { tag: tags.typeName, color: "#6f42c1" },
  { tag: tags.labelName, color: "#e36209" },
  { tag: tags.operator, color: "#d73a49" },
]));
