import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultReporterKind } from '../../src/report/index.js';

test('TERM=dumb gets plain lines even on a terminal with a size', () => {
  const terminal = { isTTY: true, columns: 120, rows: 40 };
  assert.equal(defaultReporterKind(terminal, { TERM: 'dumb' }), 'plain');
  assert.equal(defaultReporterKind(terminal, { TERM: 'xterm-256color' }), 'tty');
  assert.equal(defaultReporterKind(terminal, {}), 'tty');
});
