import http from 'node:http';
import { benchPage, PAGE_PATH } from './html-page.ts';

// Fallback upstream when nginx is not installed: answers like the nginx backend,
// 200 "xb=<X-Bench> uri=<path>\n", with keep-alive, and scenario D's page as text/html.
// Usage: node bench/node-backend.ts <port>

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1) {
  process.stderr.write('usage: node bench/node-backend.ts <port>\n');
  process.exit(2);
}
const page = Buffer.from(benchPage());
const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === PAGE_PATH) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length });
    res.end(page);
    return;
  }
  const q = url.indexOf('?');
  const xb = req.headers['x-bench'];
  const body = `xb=${typeof xb === 'string' ? xb : ''} uri=${q === -1 ? url : url.slice(0, q)}\n`;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
