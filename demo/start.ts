import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { runCli } from '../cli/run-cli.ts';

// `npm start`: two whoami-style backends on loopback, then Wharf on the demo configuration.

function backend(name: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.end('ok\n');
      return;
    }
    const lines = [
      `Name: ${name}`,
      `Hostname: ${hostname()}`,
      `${req.method} ${req.url} HTTP/${req.httpVersion}`,
    ];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`${lines.join('\n')}\n`);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new Error(`demo backend ${name} cannot listen on 127.0.0.1:${port}: ${err.message}`)),
    );
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const backends = await Promise.all([backend('backend-1', 9001), backend('backend-2', 9002)]);
process.stdout.write(`
Wharf demo: backends on 127.0.0.1:9001 and :9002, router on 127.0.0.1:8000, API on 127.0.0.1:8080.
Try:
  curl http://whoami.localhost:8000/            # round robin over both backends
  curl http://localhost:8000/api/hello          # stripPrefix + headers middlewares
  curl http://canary.localhost:8000/            # weighted 3:1 between backend-1 and backend-2
  curl -u demo:demo http://admin.localhost:8000/ # ipAllowList + basicAuth (401 without -u)
  http://127.0.0.1:8080/dashboard/              # the dashboard (open it in a browser)
  curl http://127.0.0.1:8080/api/http/routers   # Traefik-style API
  curl http://127.0.0.1:8080/ping
(*.localhost resolves to 127.0.0.1; otherwise add -H 'Host: whoami.localhost' to http://127.0.0.1:8000/)
Edit demo/dynamic.yml and save: the change is live within ~0.1 s. Ctrl-C stops.

`);
const code = await runCli(['--configFile', 'demo/wharf.yml', ...process.argv.slice(2)], process.env);
for (const b of backends) {
  b.closeAllConnections();
  b.close();
}
process.exitCode = code;
