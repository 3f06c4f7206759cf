import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { PkiCert } from './client-pki.ts';

// A real gRPC server and client (@grpc/grpc-js) for tests through Wharf: the Echo service of
// test/fixtures/grpc/echo.proto and the standard grpc.health.v1 service.

const fixtures = fileURLToPath(new URL('../fixtures/grpc/', import.meta.url));
const loaded = grpc.loadPackageDefinition(
  protoLoader.loadSync([`${fixtures}echo.proto`, `${fixtures}health.proto`], {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
  }),
) as unknown as {
  wharf: { test: { Echo: grpc.ServiceClientConstructor } };
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};

/** An Echo message. */
export interface Msg {
  text: string;
  count: number;
}

/** A running gRPC test server. */
export interface GrpcServer {
  readonly port: number;
  /** Calls the server saw cancelled (the client went away, a deadline passed). */
  readonly cancelled: string[];
  /** What grpc.health.v1.Health/Check answers (default SERVING). */
  health: 'SERVING' | 'NOT_SERVING';
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1:0, cleartext (h2c) or with `tls`. Unary echoes with a trailer
 * `x-trailer: done`; text "fail" answers NOT_FOUND; ServerStream sends `count` messages; ClientStream
 * joins the texts; Bidi echoes each; Hang never answers and records its cancellation.
 */
export async function startGrpcServer(tls?: PkiCert): Promise<GrpcServer> {
  const server = new grpc.Server();
  const state = { cancelled: [] as string[], health: 'SERVING' as 'SERVING' | 'NOT_SERVING' };
  const watch = (name: string, call: { on(e: 'cancelled', f: () => void): unknown }) =>
    call.on('cancelled', () => state.cancelled.push(name));
  server.addService(loaded.wharf.test.Echo.service, {
    Unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      if (call.request.text === 'fail') {
        cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
        return;
      }
      const trailer = new grpc.Metadata();
      trailer.set('x-trailer', 'done');
      const seenHeader = call.metadata.get('x-client')[0];
      cb(null, { text: `echo:${call.request.text}:${String(seenHeader ?? '')}`, count: 1 }, trailer);
    },
    ServerStream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      watch('ServerStream', call);
      const n = call.request.count;
      for (let i = 0; i < n; i++) call.write({ text: `${call.request.text}${i}`, count: i });
      // count 0: send the headers and keep the stream open (a cancellation test ends it from the client).
      if (n > 0) call.end();
      else call.sendMetadata(new grpc.Metadata());
    },
    ClientStream: (call: grpc.ServerReadableStream<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const texts: string[] = [];
      call.on('data', (m: Msg) => texts.push(m.text));
      call.on('end', () => cb(null, { text: texts.join('+'), count: texts.length }));
    },
    Bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => call.write({ text: `re:${m.text}`, count: m.count }));
      call.on('end', () => call.end());
    },
    Hang: (call: grpc.ServerUnaryCall<Msg, Msg>) => {
      watch('Hang', call);
    },
  });
  server.addService(loaded.grpc.health.v1.Health.service, {
    Check: (_call: unknown, cb: grpc.sendUnaryData<{ status: string }>) => cb(null, { status: state.health }),
  });
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [
        { private_key: readFileSync(tls.key), cert_chain: readFileSync(tls.cert) },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return Object.assign(state, {
    port,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  }) as GrpcServer;
}

/** The Echo client's calls, as grpc-js makes them from the .proto. */
export interface EchoClient extends grpc.Client {
  Unary(m: Msg, md: grpc.Metadata, o: grpc.CallOptions, cb: grpc.requestCallback<Msg>): grpc.ClientUnaryCall;
  ServerStream(m: Msg, md?: grpc.Metadata, o?: grpc.CallOptions): grpc.ClientReadableStream<Msg>;
  ClientStream(cb: grpc.requestCallback<Msg>): grpc.ClientWritableStream<Msg>;
  Bidi(): grpc.ClientDuplexStream<Msg, Msg>;
  Hang(m: Msg, md: grpc.Metadata, o: grpc.CallOptions, cb: grpc.requestCallback<Msg>): grpc.ClientUnaryCall;
}

/** A cleartext (h2c) client of the Echo service at `address` (host:port), sending `authority`. */
export function echoClient(address: string, authority: string): EchoClient {
  return new loaded.wharf.test.Echo(address, grpc.credentials.createInsecure(), {
    'grpc.default_authority': authority,
  }) as unknown as EchoClient;
}

export { grpc };
