// `openvod migrate` as a child process while src/cli/main.ts does not register it yet: the same
// command, under a minimal program. The kit uses bin/openvod.js as soon as main.ts has it.
import { Command, CommanderError } from 'commander';
import { migrateCommand } from '../../src/cli/migrate.command.js';

const program = new Command('openvod').exitOverride();
program.addCommand(migrateCommand());
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  throw e;
}
