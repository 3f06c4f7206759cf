// Standalone Consul test server: node test/consul/main.ts --port N [--host H] [--token T]
// Prints "listening on http://HOST:PORT" once ready and stops on SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { startConsulTestServer } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8500' },
    host: { type: 'string', default: '127.0.0.1' },
    token: { type: 'string' },
    'session-ttl-min': { type: 'string' },
  },
  strict: true,
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid --port ${values.port}\n`);
  process.exit(2);
}
const ttlMin = values['session-ttl-min'];

const server = await startConsulTestServer({
  port,
  host: values.host,
  ...(values.token !== undefined ? { token: values.token } : {}),
  ...(ttlMin !== undefined ? { sessionTtlMinMs: Number(ttlMin) } : {}),
});
process.stdout.write(`listening on ${server.url}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
