/**
 * V8 flags Wharf is meant to run with. A proxy allocates many short-lived objects; V8's default
 * young generation (up to 3 x 16-32 MiB semi-spaces) then grows to most of the process's memory. Capping
 * the semi-space at 8 MiB measured, with 10,000 routers under load: RSS 169 MiB instead of 242-432 MiB,
 * with equal or better requests/s (see bench/README.md). `bin/wharf.js`'s shebang, `npm start` and the
 * benchmark use them; run `node --max-semi-space-size=8 bin/wharf.js` when starting Node yourself.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
