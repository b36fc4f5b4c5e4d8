#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner (through tsx).
// OPENVOD_TEST_DATABASE_URL=postgres://… runs the same suite against PostgreSQL.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'test'];
const files = [];
const walk = (p) => {
  if (statSync(p).isFile()) { if (p.endsWith('.test.ts')) files.push(p); return; }
  for (const name of readdirSync(p)) if (name !== 'node_modules') walk(join(p, name));
};
for (const r of roots) walk(r);
files.sort();
console.log(`database: ${process.env.OPENVOD_TEST_DATABASE_URL ? 'postgres' : 'sqlite'}; ${files.length} test files`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
