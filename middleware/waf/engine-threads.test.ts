import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ensureModsecurity } from '../../test/helpers/native.ts';
import { engineThreads, MODSECURITY_PATH } from './engine.ts';

// The addon's own engine threads (native/modsecurity.c): how many, that the steps run on them, and that
// they neither end the process early (a step in flight keeps it alive) nor keep it alive when idle.

const skip = await ensureModsecurity();

describe('engineThreads', () => {
  it.each([
    [1, 8],
    [2, 8],
    [4, 8],
    [6, 12],
    [16, 32],
    [40, 64],
  ])('%i CPUs: %i engine threads', (cpus, threads) => {
    expect(engineThreads(cpus)).toBe(threads);
  });
});

/** Runs a script in a fresh Node process with the addon loaded as `addon`; its stdout lines. */
function child(body: string): { status: number | null; lines: string[]; stderr: string } {
  const script = `
    import { createRequire } from 'node:module';
    import { readdirSync, readFileSync } from 'node:fs';
    const addon = createRequire(import.meta.url)(${JSON.stringify(MODSECURITY_PATH)});
    const threads = () => readdirSync('/proc/self/task')
      .filter((t) => readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'wharf-waf').length;
    const rules = addon.rulesFromText('SecRuleEngine On\\nSecRule ARGS "@contains evil" "id:10,phase:2,deny,status:403,log"');
    const request = (tx, uri) =>
      addon.processRequest(tx, '127.0.0.1', 40000, '127.0.0.1', 80, 'GET', uri, '1.1', ['Host', 'a.test'], null);
    ${body}
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, lines: r.stdout.trim().split('\n'), stderr: r.stderr };
}

describe.skipIf(skip !== undefined)('the addon’s engine threads', () => {
  it('starts the threads setThreads asks for at the first step, and runs every step on them', () => {
    const r = child(`
      console.log(addon.setThreads(3), threads());
      const txs = Array.from({ length: 9 }, (_, i) => addon.newTransaction(rules, 'id' + i));
      const steps = await Promise.all(txs.map((tx, i) => request(tx, i % 3 === 0 ? '/?q=evil' : '/?q=fine')));
      console.log(steps.map((s) => s.status).join(','), threads());
      const last = await Promise.all(txs.map((tx) => addon.finish(tx)));
      console.log(last.length, addon.setThreads(5));
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual(['3 0', '403,200,200,403,200,200,403,200,200 3', '9 3']);
    expect(r.status).toBe(0);
  });

  it('keeps the process alive while a step is in flight, and lets it exit once idle', () => {
    // Nothing else holds the event loop: if the engine's wake-up handle were not held during the step,
    // the process would exit before printing; if it were held while idle, it would never exit.
    const r = child(`
      const tx = addon.newTransaction(rules, 'only');
      const step = await request(tx, '/?q=evil');
      await addon.finish(tx);
      console.log('settled', step.status, step.disruptive);
    `);
    expect(r.lines).toEqual(['settled 403 true']);
    expect(r.status).toBe(0);
  });

  it('stops its threads when the worker thread that started them ends', () => {
    // A worker has its own Node-API environment, so its own engine threads; they are joined when it ends.
    const r = child(`
      const { Worker } = await import('node:worker_threads');
      const worker = new Worker(\`
        import { createRequire } from 'node:module';
        import { parentPort } from 'node:worker_threads';
        const addon = createRequire(import.meta.url)(\${JSON.stringify(${JSON.stringify(MODSECURITY_PATH)})});
        addon.setThreads(2);
        const rules = addon.rulesFromText('SecRuleEngine On');
        const tx = addon.newTransaction(rules, 'w');
        addon.processRequest(tx, '127.0.0.1', 1, '127.0.0.1', 80, 'GET', '/', '1.1', ['Host', 'a'], null)
          .then(() => parentPort.postMessage('stepped'));
        // The listener holds the worker until the parent has counted the threads.
        parentPort.once('message', () => parentPort.close());
      \`, { eval: true });
      const message = await new Promise((resolve) => worker.once('message', resolve));
      console.log(message, threads());
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('end');
      await exited;
      console.log('exited', threads());
    `);
    expect(r.stderr).toBe('');
    expect(r.lines).toEqual(['stepped 2', 'exited 0']);
  });

  it('refuses a thread count outside 1 to 64', () => {
    const r = child(`
      for (const n of [0, 65, 1.5]) {
        try { addon.setThreads(n); console.log('accepted', n); } catch (err) { console.log(err.code); }
      }
    `);
    expect(r.lines).toEqual(['WHARF_MODSECURITY', 'WHARF_MODSECURITY', 'WHARF_MODSECURITY']);
  });
});
