import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, startEchoServer } from '../helpers/backends.ts';
import { get, startWharf, type TestWharf } from '../helpers/wharf.ts';

// Security issue item: passwords in server URLs and credential header values of middlewares are not shown
// by the API, nor written to the access log.

describe('secrets in the API and the access log', () => {
  let backend: Backend;
  let w: TestWharf;
  let dir = '';
  let accessLog = '';
  let serverUrl = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-redaction-'));
    accessLog = join(dir, 'access.log');
    backend = await startEchoServer();
    serverUrl = backend.url.replace('http://', 'http://admin:s3cret-pw@');
    w = await startWharf(
      {
        http: {
          routers: { app: { rule: 'Host(`app.test`)', service: 'app', middlewares: ['creds'] } },
          services: { app: { loadBalancer: { servers: [{ url: serverUrl }] } } },
          middlewares: {
            creds: {
              headers: {
                customRequestHeaders: {
                  Authorization: 'Bearer s3cret-token',
                  'X-Api-Key': 's3cret-key',
                  'Proxy-Authorization': 'Basic s3cret-basic',
                  Cookie: 'sid=s3cret-cookie',
                  'X-Team': 'blue',
                },
              },
            },
          },
        },
      },
      { accessLog: { format: 'json', filePath: accessLog } },
    );
  });
  afterAll(async () => {
    await w.stop();
    await backend.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('are redacted in /api/http/services, /api/http/middlewares and /api/rawdata', async () => {
    const texts = await Promise.all(
      ['/api/http/services', '/api/http/middlewares', '/api/rawdata', '/api/http/services/app@file'].map(
        async (p) => JSON.stringify((await w.getJson(p)).body),
      ),
    );
    for (const text of texts) expect(text).not.toContain('s3cret');
    const svc = (
      await w.getJson<{ loadBalancer: { servers: Array<{ url: string }> }; serverStatus: object }>(
        '/api/http/services/app@file',
      )
    ).body;
    const shown = backend.url.replace('http://', 'http://admin:xxxxx@');
    expect(svc.loadBalancer.servers[0]?.url).toBe(shown);
    expect(Object.keys(svc.serverStatus)).toEqual([shown]);
    const mw = (
      await w.getJson<{ headers: { customRequestHeaders: Record<string, string> } }>(
        '/api/http/middlewares/creds@file',
      )
    ).body;
    expect(mw.headers.customRequestHeaders).toEqual({
      Authorization: 'xxxxx',
      'X-Api-Key': 'xxxxx',
      'Proxy-Authorization': 'xxxxx',
      Cookie: 'xxxxx',
      'X-Team': 'blue',
    });
  });

  it('still reach the server, and the access log shows the URL without the password', async () => {
    const res = await get(w.web, '/x', 'app.test');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).headers.authorization).toBe('Bearer s3cret-token');
    // The access log is written asynchronously: poll the file until the line is there.
    let lines: string[] = [];
    for (const deadline = Date.now() + 5000; lines.length === 0 && Date.now() < deadline; ) {
      lines = (await readFile(accessLog, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      if (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lines.length).toBeGreaterThan(0);
    const entry = JSON.parse(lines[lines.length - 1] as string) as { ServiceURL: string };
    expect(entry.ServiceURL).toBe(backend.url.replace('http://', 'http://admin:xxxxx@'));
    expect(lines.join('\n')).not.toContain('s3cret');
  });
});
