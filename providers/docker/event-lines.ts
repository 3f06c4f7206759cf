import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** Longest event line accepted; Docker events are a few hundred bytes, so more means a broken stream. */
const MAX_LINE = 1 << 20;

/**
 * Splits the Docker events stream (newline-delimited JSON, with chunks that do not align with events) into
 * batches of complete lines: each batch holds the lines completed by one chunk. Multi-byte characters
 * split across chunks are decoded correctly. Ends when the stream ends; throws when it fails.
 */
export class EventLines implements AsyncIterable<string[]> {
  private readonly stream: Readable;

  constructor(stream: Readable, _signal?: AbortSignal) {
    this.stream = stream;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string[]> {
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of this.stream) {
      rest += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
      const parts = rest.split('\n');
      rest = parts.pop() as string;
      if (rest.length > MAX_LINE) throw new Error(`an event line exceeded ${MAX_LINE} bytes`);
      const lines = parts.map((l) => l.trim()).filter((l) => l !== '');
      if (lines.length > 0) yield lines;
    }
    const last = (rest + decoder.end()).trim();
    if (last !== '') yield [last];
  }
}
