import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { eventsCommand } from './events.command.js';
import { keysCommand } from './keys.command.js';
import { migrateCommand } from './migrate.command.js';
import { serveCommand } from './serve.command.js';
import { uploadCommand } from './upload.command.js';

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('openvod')
    .description('Self-hosted video on demand, wire-compatible with ApsaraVideo VOD')
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(serveCommand());
  program.addCommand(keysCommand());
  program.addCommand(eventsCommand());
  program.addCommand(uploadCommand());
  program.addCommand(migrateCommand());
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ConfigError) {
      process.stderr.write(`openvod: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`openvod: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
