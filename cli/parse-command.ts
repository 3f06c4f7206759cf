import { VERSION } from '../core/version.ts';

/**
 * The first argument as a command (`check`, `healthcheck`, ...; flags mean the default command) and the
 * rest as its arguments. `version`/`--version` and `help`/`--help`/`-h` are answered here, and an unknown
 * command is an error listing the help: `{ exit }` is then the process exit code.
 */
export function parseCommand(
  argv: readonly string[],
  opts: { program: string; defaultCommand: string; commands: readonly string[]; help: string },
): { command: string; args: readonly string[] } | { exit: number } {
  const [first, ...rest] = argv;
  const command = first && !first.startsWith('-') ? first : opts.defaultCommand;
  if (command === 'version' || argv.includes('--version')) {
    process.stdout.write(`${VERSION}\n`);
    return { exit: 0 };
  }
  if (command === 'help' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(opts.help);
    return { exit: 0 };
  }
  if (command !== opts.defaultCommand && !opts.commands.includes(command)) {
    process.stderr.write(`${opts.program}: unknown command "${command}"\n\n${opts.help}`);
    return { exit: 2 };
  }
  return { command, args: command === opts.defaultCommand ? argv : rest };
}
