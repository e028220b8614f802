// The Vital extension: a thin client for the language server that the `vital`
// binary runs as `vital lsp` (LSP over stdio), a status-bar item that shows the
// server's state and version, and two commands.
//
// Which binary: the `vital.server.path` setting, else the binary bundled in the
// extension's `server/` folder (platform .vsix files carry one), else `vital`
// on PATH.

import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CloseAction,
  CloseHandlerResult,
  ErrorAction,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  Message,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

const CLIENT_ID = 'vital';
const CLIENT_NAME = 'Vital Language Server';
const TASK_TYPE = 'vital';
/** How many of the server's last stderr lines a crash report quotes. */
const STDERR_LINES = 6;
/** A second crash within this time stops the server instead of restarting it. */
const CRASH_WINDOW_MS = 3 * 60 * 1000;

let client: VitalClient | undefined;
let watcher: vscode.FileSystemWatcher | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let traceChannel: vscode.OutputChannel | undefined;
let statusItem: vscode.StatusBarItem | undefined;
let extensionContext: vscode.ExtensionContext | undefined;

/** Read-only documents with `vital explain` of an account of the sample. */
const EXPLAIN_SCHEME = 'vital-explain';
const explained = new Map<string, string>();
const explainChanged = new vscode.EventEmitter<vscode.Uri>();
const explainProvider: vscode.TextDocumentContentProvider = {
  onDidChange: explainChanged.event,
  provideTextDocumentContent: (uri) => explained.get(uri.toString()) ?? '',
};

/** Where the `vital` binary was found, and how. */
interface ResolvedServer {
  command: string;
  source: 'setting' | 'bundled' | 'path';
}

/** What the client knows about the server process it started last. */
interface ServerProcess {
  process: cp.ChildProcess;
  /** The last lines the server wrote to stderr. */
  stderr: string[];
  /** Resolves when the process has exited (code, or signal name). */
  exited: Promise<string>;
  exit?: string;
}

/**
 * The language client, with the library's own notifications about the
 * connection (one per failed write, one per restart, one when it gives up)
 * kept in the output channel: a start failure or a crash is reported once,
 * by `reportFailure`, with the server's own last words.
 */
class VitalClient extends LanguageClient {
  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    // While the server is not running, errors are about the connection: they
    // are logged here and summarised by reportFailure.
    super.error(message, data, this.state === State.Running ? showNotification : false);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extensionContext = context;
  outputChannel = vscode.window.createOutputChannel(CLIENT_NAME);
  traceChannel = vscode.window.createOutputChannel(`${CLIENT_NAME} Trace`);
  statusItem = vscode.window.createStatusBarItem('vital.status', vscode.StatusBarAlignment.Left, 0);
  statusItem.name = CLIENT_NAME;
  statusItem.command = 'vital.showOutput';
  statusItem.show();
  context.subscriptions.push(outputChannel, traceChannel, statusItem);

  context.subscriptions.push(
    vscode.commands.registerCommand('vital.restartServer', () => restartServer()),
    vscode.commands.registerCommand('vital.runTests', (uri?: vscode.Uri) => runTests(uri)),
    vscode.commands.registerCommand('vital.showOutput', () => outputChannel?.show(true)),
    vscode.commands.registerCommand('vital.explainAccountOfSample', () => explainAccount()),
    vscode.commands.registerCommand('vital.impactVsMain', (uri?: vscode.Uri) => impactVsMain(uri)),
    vscode.workspace.registerTextDocumentContentProvider(EXPLAIN_SCHEME, explainProvider),
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
        // The report is in the task's terminal, which the task reveals; its
        // label is VS Code's to choose, so the message does not name it.
        void vscode.window.showWarningMessage(
          `Vital: tests failed (exit status ${event.exitCode}). The report is in the terminal panel.`,
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
// The status-bar item

type Status =
  | { kind: 'starting'; server: ResolvedServer }
  | { kind: 'running'; server: ResolvedServer; version?: string }
  | { kind: 'stopped' }
  | { kind: 'failed'; why: string };

function showStatus(status: Status): void {
  const item = statusItem;
  if (!item) {
    return;
  }
  item.backgroundColor = undefined;
  const where = (s: ResolvedServer) => `${s.command} (${describeSource(s.source)})`;
  switch (status.kind) {
    case 'starting':
      item.text = '$(sync~spin) Vital';
      item.tooltip = `Vital language server: starting ${where(status.server)}`;
      item.accessibilityInformation = { label: 'Vital language server: starting' };
      break;
    case 'running': {
      const version = status.version ? ` ${status.version}` : '';
      item.text = `$(check) Vital${version}`;
      item.tooltip =
        `Vital language server${version} is running: ${where(status.server)}.\n` +
        'Click to show its output.';
      item.accessibilityInformation = {
        label:
          `Vital language server: running${status.version ? `, version ${status.version}` : ''}, ` +
          describeSource(status.server.source),
      };
      break;
    }
    case 'stopped':
      item.text = '$(circle-slash) Vital';
      item.tooltip = 'Vital language server: stopped. Run "Vital: Restart Server" to start it.';
      item.accessibilityInformation = { label: 'Vital language server: stopped' };
      break;
    case 'failed':
      item.text = '$(error) Vital';
      item.tooltip = `Vital language server: not running. ${status.why}\nClick to show the output.`;
      item.accessibilityInformation = { label: `Vital language server: not running. ${status.why}` };
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      break;
  }
}

function describeSource(source: ResolvedServer['source']): string {
  switch (source) {
    case 'setting':
      return 'from the vital.server.path setting';
    case 'bundled':
      return 'bundled with the extension';
    case 'path':
      return 'found on PATH';
  }
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
      error: `The Vital binary set in the vital.server.path setting (${configured}) was not found or is not executable.`,
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
  // Notifications are plain text: no markdown, so no backticks either.
  return {
    error:
      `The Vital binary was not found: this extension has no bundled server for ${process.platform}-${process.arch} ` +
      'and "vital" is not on PATH. Install it (cargo install --path crates/vital-cli, from the Vital repository) ' +
      'or set vital.server.path to its location.',
  };
}

/**
 * Opens the settings editor on `vital.server.path`, in the tab where the
 * setting can be set: in a remote window (SSH, WSL, a container, a browser
 * connected to code-server) the server runs on the remote machine, and a
 * `machine-overridable` setting is a Remote (or Workspace) setting, hidden
 * from the User tab.
 */
async function openServerPathSetting(): Promise<void> {
  const command =
    vscode.env.remoteName !== undefined
      ? 'workbench.action.openRemoteSettings'
      : 'workbench.action.openSettings';
  // An object: openRemoteSettings drops a bare query string.
  const options = { query: 'vital.server.path' };
  try {
    await vscode.commands.executeCommand(command, options);
  } catch {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'vital.server.path');
  }
}

async function reportMissingBinary(message: string): Promise<void> {
  outputChannel?.appendLine(message);
  showStatus({ kind: 'failed', why: 'The vital binary was not found.' });
  const openSettings = 'Open Settings';
  const choice = await vscode.window.showErrorMessage(message, openSettings);
  if (choice === openSettings) {
    await openServerPathSetting();
  }
}

// ---------------------------------------------------------------------------
// The language client

/** The server process of the current start attempt. */
let serverProcess: ServerProcess | undefined;
/** One failure notification per start attempt. */
let failureReported = false;
/** When the server crashed recently (for the restart policy). */
let crashTimes: number[] = [];

function spawnServer(resolved: ResolvedServer): Promise<cp.ChildProcess> {
  return new Promise((resolve, reject) => {
    const proc = cp.spawn(resolved.command, ['lsp'], {
      cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      env: process.env,
      stdio: 'pipe',
    });
    const record: ServerProcess = {
      process: proc,
      stderr: [],
      exited: new Promise((done) => {
        proc.once('exit', (code, signal) => {
          record.exit = signal !== null ? `signal ${signal}` : `exit code ${code}`;
          outputChannel?.appendLine(`The Vital language server exited (${record.exit}).`);
          done(record.exit);
        });
      }),
    };
    serverProcess = record;
    let partial = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      // (the client also copies stderr to the output channel)
      const lines = (partial + chunk.toString('utf8')).split(/\r?\n/);
      partial = lines.pop() ?? '';
      record.stderr.push(...lines.filter((l) => l.trim() !== ''));
      record.stderr.splice(0, Math.max(0, record.stderr.length - STDERR_LINES));
    });
    proc.stderr?.on('end', () => {
      if (partial.trim() !== '') {
        record.stderr.push(partial);
        record.stderr.splice(0, Math.max(0, record.stderr.length - STDERR_LINES));
      }
    });
    // Writes to a server that has gone (EPIPE) are the connection's business:
    // without a listener they would be thrown in the extension host.
    proc.stdin?.on('error', (err) => outputChannel?.appendLine(`Writing to the server failed: ${err.message}`));
    proc.once('spawn', () => resolve(proc));
    proc.once('error', (err) => reject(err));
  });
}

/** One notification that says what happened, with the server's last words. */
async function reportFailure(what: string, resolved: ResolvedServer): Promise<void> {
  if (failureReported) {
    return;
  }
  failureReported = true;
  const record = serverProcess;
  if (record && record.exit === undefined) {
    // The connection closes a moment before the process is reaped.
    await Promise.race([record.exited, new Promise((done) => setTimeout(done, 1500))]);
  }
  const exit = record?.exit ? ` (${record.exit})` : '';
  const lastWords = record && record.stderr.length > 0 ? ` It said: ${record.stderr.join(' | ')}` : '';
  showStatus({ kind: 'failed', why: `${what}${exit}.` });
  const message = `${what}${exit}.${lastWords}`;
  outputChannel?.appendLine(`${message}\n(binary: ${resolved.command}, ${describeSource(resolved.source)})`);
  const showOutput = 'Show Output';
  const restart = 'Restart Server';
  const choice = await vscode.window.showErrorMessage(message, showOutput, restart);
  if (choice === showOutput) {
    outputChannel?.show(true);
  } else if (choice === restart) {
    await restartServer();
  }
}

/** Backticks mark code in the server's messages; VS Code's Problems panel,
 * diagnostic hovers and the quick-fix menu show them as plain text, so they
 * become quotes. */
export function plainMessage(message: string): string {
  return message.replace(/`([^`\n]+)`/g, "'$1'");
}

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
  outputChannel.appendLine(`Starting ${resolved.command} lsp (${describeSource(resolved.source)}).`);
  showStatus({ kind: 'starting', server: resolved });
  failureReported = false;

  // `vital lsp` speaks LSP on stdin/stdout. The process is spawned here
  // rather than by the client so that its stderr and exit status can be
  // reported when it fails (and no transport flag is appended to its
  // command line).
  const serverOptions: ServerOptions = () => spawnServer(resolved);

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
    errorHandler: {
      error: (error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult => {
        // e.g. `write EPIPE` once the server has died: logged, no toast;
        // the crash itself is reported when the connection closes.
        outputChannel?.appendLine(`Connection to the Vital language server: ${error.message}`);
        if (count !== undefined && count > 3) {
          void reportFailure('The connection to the Vital language server keeps failing', resolved);
          return { action: ErrorAction.Shutdown, handled: true };
        }
        return { action: ErrorAction.Continue, handled: true };
      },
      closed: async (): Promise<CloseHandlerResult> => {
        const wasRunning = client?.state === State.Running;
        const now = Date.now();
        crashTimes = crashTimes.filter((t) => now - t < CRASH_WINDOW_MS);
        crashTimes.push(now);
        if (wasRunning && crashTimes.length === 1) {
          // A first crash after a good start: start again, once, quietly.
          const exit = serverProcess ? await Promise.race([serverProcess.exited, delay(1500)]) : undefined;
          outputChannel?.appendLine(
            `The Vital language server stopped unexpectedly${exit ? ` (${exit})` : ''}; restarting it.`,
          );
          showStatus({ kind: 'starting', server: resolved });
          return { action: CloseAction.Restart, handled: true };
        }
        void reportFailure(
          wasRunning
            ? 'The Vital language server stopped unexpectedly again and was not restarted'
            : 'The Vital language server failed to start',
          resolved,
        );
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
    initializationFailedHandler: (error) => {
      const message = error instanceof Error ? error.message : String(error);
      outputChannel?.appendLine(`The Vital language server failed to initialize: ${message}`);
      void reportFailure('The Vital language server failed to start', resolved);
      return false;
    },
    middleware: {
      handleDiagnostics: (uri, diagnostics, next) => {
        for (const d of diagnostics) {
          d.message = plainMessage(d.message);
          for (const r of d.relatedInformation ?? []) {
            r.message = plainMessage(r.message);
          }
        }
        next(uri, diagnostics);
      },
      // Quick-fix titles (`change to \`ces\``) are plain text in the menu too.
      provideCodeActions: async (document, range, context, token, next) => {
        const actions = await next(document, range, context, token);
        for (const action of actions ?? []) {
          action.title = plainMessage(action.title);
        }
        return actions;
      },
    },
  };

  // The client reads the `vital.trace.server` setting itself (section `${id}.trace.server`).
  const newClient = new VitalClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = newClient;
  newClient.onDidChangeState((event) => {
    if (client !== newClient) {
      return;
    }
    if (event.newState === State.Running) {
      const info = newClient.initializeResult?.serverInfo;
      showStatus({ kind: 'running', server: resolved, version: info?.version });
      outputChannel?.appendLine(
        `The Vital language server is running${info ? ` (${info.name}${info.version ? ` ${info.version}` : ''})` : ''}.`,
      );
    } else if (event.newState === State.Starting) {
      showStatus({ kind: 'starting', server: resolved });
    } else if (event.newState === State.Stopped && !failureReported) {
      showStatus({ kind: 'stopped' });
    }
  });
  try {
    await newClient.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outputChannel.appendLine(`Failed to start the Vital language server (${resolved.command} lsp): ${message}`);
    void reportFailure('The Vital language server failed to start', resolved);
  }
}

function delay(ms: number): Promise<undefined> {
  return new Promise((done) => setTimeout(() => done(undefined), ms));
}

async function stopServer(): Promise<void> {
  const oldClient = client;
  const oldWatcher = watcher;
  const oldProcess = serverProcess;
  client = undefined;
  watcher = undefined;
  try {
    if (oldClient && oldClient.state === State.Running) {
      await oldClient.stop();
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    outputChannel?.appendLine(`Error while stopping the Vital language server: ${message}`);
  } finally {
    oldWatcher?.dispose();
    // The server exits on the `exit` notification; make sure of it.
    if (oldProcess && oldProcess.exit === undefined) {
      const exited = await Promise.race([oldProcess.exited, delay(2000)]);
      if (exited === undefined) {
        oldProcess.process.kill();
      }
    }
    showStatus({ kind: 'stopped' });
  }
}

async function restartServer(): Promise<void> {
  crashTimes = [];
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

/**
 * The `vital` binary and the folder to run it in (the one `uri` is in, or
 * the one picked), or undefined once the user has been told why not.
 */
async function binaryAndFolder(
  uri: vscode.Uri | undefined,
  purpose: string,
): Promise<{ command: string; cwd: string } | undefined> {
  const context = extensionContext;
  if (!context) {
    return undefined;
  }
  const resolved = resolveServer(context);
  if ('error' in resolved) {
    await reportMissingBinary(resolved.error);
    return undefined;
  }
  const cwd = await pickFolder(uri);
  if (!cwd) {
    void vscode.window.showErrorMessage(`Vital: open a folder (or a .vital file) to ${purpose}.`);
    return undefined;
  }
  return { command: resolved.command, cwd };
}

/** Shows `text` in a read-only document named `name`, beside the editor. */
async function showText(name: string, text: string): Promise<void> {
  const uri = vscode.Uri.from({ scheme: EXPLAIN_SCHEME, path: `/${name}` });
  explained.set(uri.toString(), text);
  explainChanged.fire(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

async function runTests(uri?: vscode.Uri): Promise<void> {
  const found = await binaryAndFolder(uri, 'run its tests');
  if (!found) {
    return;
  }
  const { command, cwd } = found;
  // Save edited rule files first: `vital test` reads them from disk.
  await vscode.workspace.saveAll(false);

  const scopeFolder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(cwd));
  const task = new vscode.Task(
    { type: TASK_TYPE, command: 'test', path: cwd },
    scopeFolder ?? vscode.TaskScope.Workspace,
    'test',
    'vital',
    new vscode.ProcessExecution(command, ['test', '.'], { cwd }),
    [],
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
    focus: false,
    showReuseMessage: false,
  };
  outputChannel?.appendLine(`Running ${command} test . in ${cwd}`);
  await vscode.tasks.executeTask(task);
}

// ---------------------------------------------------------------------------
// Vital: Explain Account of the Sample…

/**
 * Asks for an account of the rule set's sample (`sample` in vital.toml; the
 * ids come from the server's `vital.sampleAccounts`) and shows the server's
 * `vital.explainAccount` — the text of `vital explain` on the rules as they
 * are in the editor — in a read-only document.
 */
async function explainAccount(): Promise<void> {
  const c = client;
  if (!c || c.state !== State.Running) {
    void vscode.window.showErrorMessage('Vital: the language server is not running.');
    return;
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'vital') {
    void vscode.window.showErrorMessage('Vital: open a .vital file of the rule set whose sample to use.');
    return;
  }
  const file = editor.document.uri.fsPath;
  const run = async (args: string[], command: string): Promise<unknown> =>
    c.sendRequest('workspace/executeCommand', { command, arguments: args });
  try {
    const accounts = (await run([file], 'vital.sampleAccounts')) as string[];
    const account = await vscode.window.showQuickPick(accounts, {
      placeHolder: `Explain which account of the sample? (${accounts.length} accounts)`,
    });
    if (!account) {
      return;
    }
    const text = (await run([file, account], 'vital.explainAccount')) as string;
    await showText(`${account}.txt`, text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`Vital: ${message}`);
  }
}

// ---------------------------------------------------------------------------
// Vital: Impact vs Main…

/**
 * Runs `vital diff --base BASE` in the folder (BASE asked for, `main` by
 * default: a git revision or a directory) on the saved rules and shows its
 * report in a read-only document.
 */
async function impactVsMain(uri?: vscode.Uri): Promise<void> {
  const found = await binaryAndFolder(uri, 'compare its rules');
  if (!found) {
    return;
  }
  const { command, cwd } = found;
  const base = await vscode.window.showInputBox({
    prompt: 'Compare the rules with which base? A git revision or a directory.',
    value: 'main',
  });
  if (!base) {
    return;
  }
  // `vital diff` reads the head rules from disk
  await vscode.workspace.saveAll(false);
  outputChannel?.appendLine(`Running ${command} diff --base ${base} in ${cwd}`);
  const report = await new Promise<{ out: string; err: string; failed: boolean }>((resolve) => {
    cp.execFile(
      command,
      ['diff', '--base', base],
      { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => resolve({ out: stdout, err: stderr, failed: error !== null && stdout === '' }),
    );
  });
  if (report.failed) {
    outputChannel?.appendLine(report.err);
    const first = report.err.split('\n').find((l) => l.trim() !== '') ?? 'vital diff failed';
    void vscode.window.showErrorMessage(`Vital: ${first.replace(/`/g, "'")}`);
    return;
  }
  await showText(`impact vs ${base.replace(/\//g, '-')}.txt`, report.out);
}
