// tests/test_markdown_math.py: reads {"documents": [{"name": ..., "text": ...}]} on stdin, parses
// each as Markdown the way VS Code's preview does (markdown-it with @vscode/markdown-it-katex's
// $...$ and $$...$$ rules, the delimiters GitHub and Jupyter read too), renders every math piece
// with KaTeX (throwOnError: true, strict: "error") and prints JSON:
// {"katex": version, "pieces": N, "rejected": [{"document", "piece", "display", "error"}],
//  "stray": [{"document", "text"}]}  (stray: a "$" left in the text: a piece not recognised)
"use strict";
const fs = require("fs");
const katex = require("katex");
const MarkdownIt = require("markdown-it");
const mathPlugin = require("@vscode/markdown-it-katex").default;

const input = JSON.parse(fs.readFileSync(0, "utf8"));
const md = new MarkdownIt({ html: true }).use(mathPlugin);
const out = { katex: katex.version, pieces: 0, rejected: [], stray: [] };

function walk(tokens, name) {
  for (const t of tokens) {
    if (t.type === "math_inline" || t.type === "math_block") {
      out.pieces += 1;
      const display = t.type === "math_block";
      try {
        katex.renderToString(t.content, { throwOnError: true, displayMode: display, strict: "error" });
      } catch (e) {
        out.rejected.push({ document: name, piece: t.content, display, error: String(e.message) });
      }
    } else if (t.type === "text" && t.content.includes("$")) {
      out.stray.push({ document: name, text: t.content });
    }
    if (t.children) walk(t.children, name);
  }
}

for (const doc of input.documents) {
  walk(md.parse(doc.text, {}), doc.name);
}
process.stdout.write(JSON.stringify(out));
