import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// An OTLP/HTTP trace collector that accepts and discards: the other end of Wharf's exporter when the
// bench measures tracing (--wharf-tracing). It answers every POST 200 with an empty
// ExportTraceServiceResponse (zero protobuf bytes) and counts exports and bytes, so the report can show
// that spans did go out.

/** The running sink. */
export interface OtlpSink {
  /** Endpoint for `tracing.otlp.http.endpoint`. */
  readonly url: string;
  /** Exports received so far. */
  readonly exports: number;
  /** Exports and compressed bytes since `fromExport`, as text for the log. */
  spans(fromExport: number): string;
  close(): Promise<void>;
}

/** Starts the sink on 127.0.0.1, port 0. */
export async function startOtlpSink(): Promise<OtlpSink> {
  const bytesPerExport: number[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      bytesPerExport.push(bytes);
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': 0 });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    get exports() {
      return bytesPerExport.length;
    },
    spans(fromExport) {
      const bytes = bytesPerExport.slice(fromExport).reduce((a, b) => a + b, 0);
      return `${Math.round(bytes / 1024)} KiB gzip-compressed protobuf`;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
