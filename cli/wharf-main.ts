import { runCli } from './run-cli.ts';

// Wiring only: everything worth testing lives in cli.ts and server.ts.
process.exitCode = await runCli(process.argv.slice(2), process.env);
