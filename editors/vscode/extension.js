// The VS Code client of the resdsl language server: it starts `resdsl lsp` (the command is the
// `resdsl.command` setting) for .rdsl files and talks to it over standard input and output.
"use strict";
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace.getConfiguration("resdsl").get("command");
  client = new LanguageClient(
    "resdsl",
    "resdsl language server",
    { command, args },
    { documentSelector: [{ scheme: "file", language: "rdsl" }, { scheme: "untitled", language: "rdsl" }] },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
