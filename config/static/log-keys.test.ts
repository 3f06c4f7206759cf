import { describe, expect, it } from 'vitest';
import { loadStaticConfig } from '../load-static.ts';

// Every accessLog.* and log.* key of Traefik v3.7 (pkg/observability/types/logs.go) is taken: implemented,
// or accepted with a warning naming it (OTLP export), never "unknown key".
const TRAEFIK_KEYS = [
  '--accesslog.filePath=/tmp/wharf-keys/access.log',
  '--accesslog.format=genericCLF',
  '--accesslog.bufferingSize=100',
  '--accesslog.addInternals=true',
  '--accesslog.dualOutput=true',
  '--accesslog.filters.statusCodes=200,300-302',
  '--accesslog.filters.retryAttempts=true',
  '--accesslog.filters.minDuration=10ms',
  '--accesslog.fields.defaultMode=keep',
  '--accesslog.fields.names.ClientUsername=drop',
  '--accesslog.fields.headers.defaultMode=keep',
  '--accesslog.fields.headers.names.User-Agent=redact',
  '--accesslog.fields.headers.names.Authorization=drop',
  '--accesslog.fields.queryParameters.defaultMode=drop',
  '--accesslog.otlp.http.endpoint=https://collector:4318/v1/logs',
  '--log.level=DEBUG',
  '--log.format=json',
  '--log.noColor=true',
  '--log.filePath=/tmp/wharf-keys/wharf.log',
  '--log.maxSize=10',
  '--log.maxAge=3',
  '--log.maxBackups=4',
  '--log.compress=true',
  '--log.otlp.grpc.endpoint=localhost:4317',
  '--entryPoints.web.address=:80',
  '--entryPoints.web.observability.accessLogs=false',
  '--entryPoints.web.observability.metrics=false',
  '--entryPoints.web.observability.tracing=false',
  '--entryPoints.web.observability.traceVerbosity=detailed',
];

describe("Traefik's accessLog and log keys", () => {
  it('are all accepted; only OTLP export is reported as not supported', () => {
    const r = loadStaticConfig({ args: TRAEFIK_KEYS, env: {} });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.warnings).toEqual([
      expect.stringContaining('accessLog.otlp'),
      expect.stringContaining('log.otlp'),
    ]);
    expect(r.config.accessLog).toMatchObject({
      format: 'genericCLF',
      bufferingSize: 100,
      addInternals: true,
      filters: { statusCodes: ['200', '300-302'], retryAttempts: true, minDuration: 10 },
      fields: {
        defaultMode: 'keep',
        headers: { defaultMode: 'keep' },
        queryParameters: { defaultMode: 'drop' },
      },
    });
    expect(r.config.log).toMatchObject({
      level: 'DEBUG',
      format: 'json',
      noColor: true,
      maxSize: 10,
      maxAge: 3,
      maxBackups: 4,
    });
    expect(r.config.entryPoints?.web?.observability).toEqual({
      accessLogs: false,
      metrics: false,
      tracing: false,
      traceVerbosity: 'detailed',
    });
  });

  it('--accesslog alone turns the access log on with Traefik defaults', () => {
    const r = loadStaticConfig({ args: ['--accesslog'], env: {} });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.config.accessLog).toEqual({
      format: 'common',
      fields: { defaultMode: 'keep', headers: { defaultMode: 'drop' } },
      bufferingSize: 0,
      addInternals: false,
      dualOutput: false,
    });
  });
});
