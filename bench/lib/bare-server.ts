// The baseline: a bare Fastify app with one GET route answering a fixed JSON body (the bench
// passes a real GetVideoInfo answer, so both targets send the same bytes). Default Fastify
// options, no logger. Run as its own process:
//   node --import tsx bench/lib/bare-server.ts --port <port> --body-file <file.json>
// It exits on SIGTERM/SIGINT, and when its stdin closes (the bench that started it is gone).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'body-file': { type: 'string' } } });
if (values.port === undefined || values['body-file'] === undefined) {
  process.stderr.write('usage: bare-server.ts --port <port> --body-file <file.json>\n');
  process.exit(2);
}
const body = JSON.parse(readFileSync(values['body-file'], 'utf8')) as Record<string, unknown>;

const app = Fastify({ logger: false });
app.get('/', async () => body);
await app.listen({ host: '127.0.0.1', port: Number(values.port) });

let closing = false;
const close = (): void => {
  if (closing) return;
  closing = true;
  app.close().then(() => process.exit(0), () => process.exit(1));
};
process.once('SIGTERM', close);
process.once('SIGINT', close);
process.stdin.on('end', close);
process.stdin.resume();
