// The Vital extension: a thin client for the language server that the `vital`
// binary runs as `vital lsp` (stdio), plus two commands.
//
// Which binary: the `vital.server.path` setting, else the binary bundled in the
// extension's `server/` folder, else `vital` on PATH.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

const CLIENT_ID = 'vital';
const CLIENT_NAME = 'Vital Language Server';
const TASK_TYPE = 'vital';

let client: LanguageClient | undefined;
let watcher: vscode.FileSystemWatcher | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let traceChannel: vscode.OutputChannel | undefined;
let extensionContext: vscode.ExtensionContext | undefined;

/** Where the `vital` binary was found, and how. */
interface ResolvedServer {
  command: string;
  source: 'setting' | 'bundled' | 'path';
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionContext = context;
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  traceChannel = vscode.window.createOutputChannel(`${CLIENT_NAME} Trace`);
  context.subscriptions.push(outputChannel, traceChannel);

  context.subscriptions.push(
    vscode.commands.registerCommand('vital.restartServer', () => restartServer()),
    vscode.commands.registerCommand('vital.runTests', (uri?: vscode.Uri) => runTests(uri)),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('vital.server.path')) {
        await restartServer();
      }
    }),
    vscode.tasks.onDidEndTaskProcess((event) => {
      const definition = event.execution.task.definition;
      if (definition.type !== TASK_TYPE || definition.command !== 'test') {
        return;
      }
      if (event.exitCode === 0) {
        void vscode.window.showInformationMessage('Vital: all tests passed.');
      } else if (event.exitCode !== undefined) {
        void vscode.window.showWarningMessage(
          `Vital: tests failed (exit status ${event.exitCode}). See the "Vital: test" terminal.`,
        );
      }
    }),
  );

  await startServer();
}

export async function deactivate(): Promise<void> {
  await stopServer();
}

// ---------------------------------------------------------------------------
// Finding the binary

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

function expandUserPath(p: string): string {
  let result = p.trim();
  if (result === '~' || result.startsWith('~/') || result.startsWith('~\\')) {
    result = path.join(os.homedir(), result.slice(1));
  }
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder) {
    result = result.replace(/\$\{workspaceFolder\}/g, folder.uri.fsPath);
    if (!path.isAbsolute(result) && (result.includes('/') || result.includes('\\'))) {
      result = path.join(folder.uri.fsPath, result);
    }
  }
  return result;
}

function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d.length > 0);
  const extensions =
    process.platform === 'win32'
      ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter((e) => e.length > 0)
      : [''];
  for (const dir of dirs) {
    for (const ext of extensions) {
      const candidate = path.join(dir, name + ext);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** Resolves the `vital` binary, or returns an explanation of what was tried. */
function resolveServer(context: vscode.ExtensionContext): ResolvedServer | { error: string } {
  const configured = vscode.workspace.getConfiguration('vital').get<string>('server.path', '').trim();
  if (configured !== '') {
    const expanded = expandUserPath(configured);
    // A bare name (no separator) is looked up on PATH, like a shell would.
    const isBareName = !expanded.includes('/') && !expanded.includes('\\');
    const command = isBareName ? findOnPath(expanded) : expanded;
    if (command && isExecutableFile(command)) {
      return { command, source: 'setting' };
    }
    return {
      error: `The Vital binary set in "vital.server.path" (${configured}) was not found or is not executable.`,
    };
  }

  const bundledName = process.platform === 'win32' ? 'vital.exe' : 'vital';
  const bundled = context.asAbsolutePath(path.join('server', bundledName));
  if (fs.existsSync(bundled)) {
    if (process.platform !== 'win32' && !isExecutableFile(bundled)) {
      // Unpacking a .vsix does not always keep the executable bit.
      try {
        fs.chmodSync(bundled, 0o755);
      } catch {
        // Reported below if it is still not executable.
      }
    }
    if (isExecutableFile(bundled)) {
      return { command: bundled, source: 'bundled' };
    }
  }

  const onPath = findOnPath('vital');
  if (onPath) {
    return { command: onPath, source: 'path' };
  }
  return {
    error:
      'The Vital binary (`vital`) was not found: it is not bundled with this extension and not on PATH. ' +
      'Install it (e.g. `cargo install --path crates/vital-cli` from the Vital repository) ' +
      'or set "vital.server.path" to its location.',
  };
}

async function reportMissingBinary(message: string): Promise<void> {
  outputChannel?.appendLine(message);
  const openSettings = 'Open Settings';
  const choice = await vscode.window.showErrorMessage(message, openSettings);
  if (choice === openSettings) {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'vital.server.path');
  }
}

// ---------------------------------------------------------------------------
// The language client

async function startServer(): Promise<void> {
  const context = extensionContext;
  if (!context || !outputChannel || !traceChannel) {
    return;
  }
  const resolved = resolveServer(context);
  if ('error' in resolved) {
    // Not awaited: activation must not wait for the user to dismiss the message.
    void reportMissingBinary(resolved.error);
    return;
  }
  outputChannel.appendLine(`Starting ${resolved.command} lsp (found via ${resolved.source}).`);

  const executable: Executable = {
    command: resolved.command,
    args: ['lsp'],
    transport: TransportKind.stdio,
    options: {
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      env: process.env,
    },
  };
  const serverOptions: ServerOptions = { run: executable, debug: executable };

  // Tells the server about .vital files created, changed or deleted on disk
  // (a rule set is a whole directory, not just the open documents).
  watcher = vscode.workspace.createFileSystemWatcher('**/*.vital');

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'vital' },
      { scheme: 'untitled', language: 'vital' },
    ],
    synchronize: {
      fileEvents: watcher,
    },
    outputChannel,
    traceOutputChannel: traceChannel,
  };

  // The client reads the `vital.trace.server` setting itself (section `${id}.trace.server`).
  const newClient = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = newClient;
  try {
    await newClient.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outputChannel.appendLine(`Failed to start the Vital language server: ${message}`);
    void vscode.window.showErrorMessage(
      `Failed to start the Vital language server (${resolved.command} lsp): ${message}`,
    );
  }
}

async function stopServer(): Promise<void> {
  const oldClient = client;
  const oldWatcher = watcher;
  client = undefined;
  watcher = undefined;
  try {
    await oldClient?.stop();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outputChannel?.appendLine(`Error while stopping the Vital language server: ${message}`);
  } finally {
    oldWatcher?.dispose();
  }
}

async function restartServer(): Promise<void> {
  await stopServer();
  await startServer();
}

// ---------------------------------------------------------------------------
// Vital: Run Tests

async function pickFolder(uri?: vscode.Uri): Promise<string | undefined> {
  const target = uri ?? vscode.window.activeTextEditor?.document.uri;
  if (target) {
    const folder = vscode.workspace.getWorkspaceFolder(target);
    if (folder) {
      return folder.uri.fsPath;
    }
    if (target.scheme === 'file') {
      // A file outside any workspace folder: test the directory it is in.
      return path.dirname(target.fsPath);
    }
  }
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) {
    return folders[0].uri.fsPath;
  }
  if (folders.length > 1) {
    const picked = await vscode.window.showWorkspaceFolderPick({
      placeHolder: 'Run the Vital tests of which folder?',
    });
    return picked?.uri.fsPath;
  }
  return undefined;
}

async function runTests(uri?: vscode.Uri): Promise<void> {
  const context = extensionContext;
  if (!context) {
    return;
  }
  const resolved = resolveServer(context);
  if ('error' in resolved) {
    await reportMissingBinary(resolved.error);
    return;
  }
  const cwd = await pickFolder(uri);
  if (!cwd) {
    void vscode.window.showErrorMessage('Vital: open a folder (or a .vital file) to run its tests.');
    return;
  }
  // Save edited rule files first: `vital test` reads them from disk.
  await vscode.workspace.saveAll(false);

  const scopeFolder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(cwd));
  const task = new vscode.Task(
    { type: TASK_TYPE, command: 'test', path: cwd },
    scopeFolder ?? vscode.TaskScope.Workspace,
    'test',
    'vital',
    new vscode.ProcessExecution(resolved.command, ['test', '.'], { cwd }),
    [],
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
    focus: false,
    showReuseMessage: false,
  };
  outputChannel?.appendLine(`Running ${resolved.command} test . in ${cwd}`);
  await vscode.tasks.executeTask(task);
}
