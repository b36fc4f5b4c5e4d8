#!/usr/bin/env node
// OpenVOD runs its TypeScript sources through tsx: `npm ci` is the only build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
