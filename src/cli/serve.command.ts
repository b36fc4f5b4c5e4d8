import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { createLogger } from '../logger.js';
import { startServer } from '../server.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the API and the workers')
    .option('--data-dir <dir>', 'where the embedded database and media live (default ./data)')
    .option('--port <port>', 'port to listen on (default 8080)')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)')
    .option('--public-url <url>', 'origin clients use to reach this server (default http://<host>:<port>)')
    .option('--config <file>', 'JSON settings file')
    .option('--role <role>', 'api, worker or all (default all)')
    .action(async (opts: { dataDir?: string; port?: string; host?: string; publicUrl?: string; config?: string; role?: string }) => {
      const config = loadConfig({ flags: opts, env: process.env, cwd: process.cwd() });
      const log = createLogger(config.logLevel);
      const server = await startServer(config, log);
      if (server.rootKey.generated) {
        // Printed once, on the start that made it; it is also saved in the data dir.
        process.stdout.write(
          `\nGenerated the root access key (saved in ${config.dataDir}/root-access-key.json):\n` +
            `  AccessKeyId:     ${server.rootKey.accessKeyId}\n  AccessKeySecret: ${server.rootKey.accessKeySecret}\n\n`,
        );
      }
      log.info({ url: server.url, role: config.role, dataDir: config.dataDir, database: config.databaseUrl ? 'postgres' : 'sqlite' }, 'openvod ready');
      // Whatever the log level: the line a person (or a supervisor, or a test) waits for.
      process.stdout.write(server.url === undefined ? `OpenVOD ready (role ${config.role})\n` : `OpenVOD listening on ${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info({ signal }, 'shutting down');
          server.close().then(resolve, resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      log.flush?.();
    });
}
