import { runRegistrarCli } from './run-registrar-cli.ts';

// Wiring only: everything worth testing lives in cli.ts and registrar.ts.
process.exitCode = await runRegistrarCli(process.argv.slice(2), process.env);
