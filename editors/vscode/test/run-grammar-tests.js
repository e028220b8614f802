#!/usr/bin/env node
// Runs the TextMate grammar tests (test/grammar/*.test.vital) with the
// vscode-tmgrammar-test command-line runner, then prints a one-line summary
// ("grammar: N passed, M failed", one fixture file = one test), which that
// runner does not print itself. Exits non-zero when any fixture fails.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const fixtureDir = path.join(root, 'test', 'grammar');
const grammar = 'syntaxes/vital.tmLanguage.json';

const fixtures = fs
  .readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.test.vital'))
  .sort()
  .map((name) => `test/grammar/${name}`);

if (fixtures.length === 0) {
  console.error('grammar: no fixtures found in test/grammar/*.test.vital');
  console.log('grammar: 0 passed, 1 failed');
  process.exit(1);
}

// Count the assertions with the runner's own parser (informational).
const { parseGrammarTestCase } = require('vscode-tmgrammar-test/dist/unit/index.js');
let assertions = 0;
for (const fixture of fixtures) {
  try {
    const testCase = parseGrammarTestCase(fs.readFileSync(path.join(root, fixture), 'utf8'));
    for (const line of testCase.assertions) {
      assertions += line.scopeAssertions.length;
    }
  } catch {
    // The runner below reports parse errors itself.
  }
}

const cli = require.resolve('vscode-tmgrammar-test/dist/unit.js');
const result = spawnSync(process.execPath, [cli, '--grammar', grammar, ...fixtures], {
  cwd: root,
  encoding: 'utf8',
});
if (result.error) {
  console.error(`grammar: could not run vscode-tmgrammar-test: ${result.error.message}`);
  process.exit(1);
}
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);

const passedFiles = new Set();
for (const line of result.stdout.split(/\r?\n/)) {
  const match = /\s(\S+\.test\.vital) run successfuly\.\s*$/.exec(line);
  if (match) {
    passedFiles.add(match[1]);
  }
}
const passed = fixtures.filter((f) => passedFiles.has(f)).length;
const failed = fixtures.length - passed;

console.log(`grammar: ${fixtures.length} fixture files, ${assertions} scope assertions`);
console.log(`grammar: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && result.status === 0 ? 0 : 1);
