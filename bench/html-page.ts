// Scenario D's page: a 16 KB HTML document that compresses like a real one (a head with styles, a
// navigation bar, article paragraphs, a product table, a footer), not like a run of one repeated line.
// Made from a fixed word list with a seeded generator, so every run and every proxy serves the same bytes.

/** Size of the page in bytes (UTF-8; it is ASCII). */
export const PAGE_BYTES = 16 * 1024;

/** The path the backend serves the page on. */
export const PAGE_PATH = '/page.html';

const WORDS = (
  'the harbor router forwards each request to a service after matching its host path headers and ' +
  'middlewares configuration reload certificates entry point load balancer health check weighted ' +
  'mirroring sticky cookie retry circuit breaker rate limit buffering compression error pages metrics ' +
  'tracing access log dashboard provider docker consul file kubernetes labels container network port ' +
  'address timeout keep alive connection upstream downstream client server response status body stream ' +
  'latency throughput memory cpu worker thread event loop cache validation schema diagnostics version ' +
  'release changelog documentation example tutorial guide reference option default value'
).split(' ');

/** A small deterministic generator (LCG), so the page is the same on every run. */
function generator(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

/** The page: realistic compressible HTML, exactly PAGE_BYTES long. */
export function benchPage(): string {
  const rnd = generator(15);
  const word = (): string => WORDS[Math.floor(rnd() * WORDS.length)] as string;
  const words = (n: number): string => Array.from({ length: n }, word).join(' ');
  const sentence = (): string => {
    const s = words(6 + Math.floor(rnd() * 12));
    return `${s[0]?.toUpperCase()}${s.slice(1)}.`;
  };
  const head = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Wharf benchmark page</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #fafbfc; }
header, footer { padding: 1rem 2rem; background: #0f3d5e; color: #fff; }
nav a { color: #cfe6ff; margin-right: 1rem; text-decoration: none; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 2rem; }
table { border-collapse: collapse; width: 100%; }
td, th { border-bottom: 1px solid #dde3ea; padding: 0.4rem; text-align: left; }
</style>
</head>
<body>
<header><nav>${Array.from({ length: 8 }, (_, i) => `<a href="/section/${i}">${word()}</a>`).join('')}</nav></header>
<main>
`;
  const tail = '</main>\n<footer><p>Generated for the benchmark.</p></footer>\n</body>\n</html>\n';
  const parts: string[] = [head];
  let size = head.length;
  let i = 0;
  // Sections until the page is nearly full; the last bytes are padded in a comment to the exact size.
  while (size + tail.length < PAGE_BYTES - 600) {
    const block =
      i % 3 === 2
        ? `<table>\n<tr><th>item</th><th>price</th><th>stock</th></tr>\n${Array.from(
            { length: 5 },
            (_, r) =>
              `<tr><td><a href="/item/${i * 10 + r}">${words(3)}</a></td><td>${(rnd() * 100).toFixed(2)}</td><td>${Math.floor(rnd() * 500)}</td></tr>`,
          ).join('\n')}\n</table>\n`
        : `<section id="s${i}">\n<h2>${words(4)}</h2>\n<p>${Array.from({ length: 4 }, sentence).join(' ')}</p>\n<p>${Array.from({ length: 3 }, sentence).join(' ')}</p>\n</section>\n`;
    parts.push(block);
    size += block.length;
    i++;
  }
  const pad = PAGE_BYTES - size - tail.length - '<!--  -->\n'.length;
  parts.push(`<!-- ${words(200).slice(0, pad).padEnd(pad, '.')} -->\n`, tail);
  return parts.join('');
}
