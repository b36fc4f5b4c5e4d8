import { pino, type Logger } from 'pino';

export type { Logger };

// Secrets never reach the logs: any field with one of these names is redacted wherever it sits.
const REDACT = [
  '*.AccessKeySecret', '*.accessKeySecret', '*.access_key_secret', '*.secret', '*.Signature', '*.signature',
  '*.authorization', '*.Authorization', '*.SecurityToken', '*.authKey', '*.AuthKey', 'req.headers.authorization',
  'req.query', 'req.url',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { app: 'openvod' } }, destination ?? process.stdout);
}

export const silentLogger = (): Logger => pino({ level: 'silent' });
