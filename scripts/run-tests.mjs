// Runs the compiled test files with Node's built-in test runner and prints a
// closing "N passed, N failed" line. Unit tests live beside the code
// (dist/src/**/*.test.js); integration tests in dist/test/**.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const unitOnly = process.argv.includes('--unit');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));

function find(dir) {
  let out = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out;
}

let files = find('dist/src');
if (!unitOnly) files = files.concat(find('dist/test'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
files.sort();
if (files.length === 0) {
  console.error('no test files found (did tsc run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], {
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
process.stdout.write(r.stdout ?? '');
const num = (name) => Number((r.stdout ?? '').match(new RegExp(`^ℹ ${name} (\\d+)`, 'm'))?.[1] ?? 0);
const passed = num('pass');
const failed = num('fail') + num('cancelled');
console.log(`${passed} passed, ${failed} failed${num('skipped') ? `, ${num('skipped')} skipped` : ''}`);
process.exit(r.status === 0 && failed === 0 ? 0 : 1);
