import type { HrTime } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, millisToHrTime } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { Resource } from '@opentelemetry/resources';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import type { OtlpMetricsConfig } from '../../config/static/metrics.ts';
import type { Logger } from '../../core/log.ts';
import { VERSION } from '../../core/version.ts';
import { exporterOptions, type OtlpSignal, otlpResource } from '../tracing/exporter.ts';
import { type PromJsonMetric, toMetricData } from './otlp-convert.ts';

/** `metrics.otlp`: metrics, to /v1/metrics. */
export const METRICS: OtlpSignal = { option: 'metrics.otlp', path: '/v1/metrics' };

/** The OTLP metric exporter `metrics.otlp` asks for (gRPC when `grpc` is set, else HTTP with protobuf). */
export function createMetricExporter(config: OtlpMetricsConfig): PushMetricExporter {
  const { kind, ...options } = exporterOptions(config, METRICS);
  // `compression` is the exporters' own enum (otlp-exporter-base), which they do not re-export; its value is the text.
  type Grpc = NonNullable<ConstructorParameters<typeof GrpcMetricExporter>[0]>;
  type Http = NonNullable<ConstructorParameters<typeof HttpMetricExporter>[0]>;
  return kind === 'grpc'
    ? new GrpcMetricExporter(options as unknown as Grpc)
    : new HttpMetricExporter(options as unknown as Http);
}

/**
 * Pushes a registry's metrics to an OpenTelemetry collector every `pushInterval`, as Traefik's OTLP
 * registry does: the same wharf_* families as the Prometheus exporter (without Node's process metrics),
 * cumulative since the start. A collector that cannot be reached is logged when pushing starts to fail and
 * when it works again, not at every push; the metrics keep counting meanwhile.
 */
export class OtlpMetricsPush {
  /** The families pushed (filled by the caller: router/metrics/metrics.ts). */
  readonly registry = new Registry();
  private readonly exporter: PushMetricExporter;
  private readonly resource: Resource;
  private readonly logger: Logger;
  private readonly startTime: HrTime = millisToHrTime(Date.now());
  private readonly afterPush: () => void;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  /** Pushes done (successful or not), for tests and the log. */
  pushes = 0;

  constructor(
    config: OtlpMetricsConfig,
    logger: Logger,
    options: { exporter?: PushMetricExporter; afterPush?: () => void } = {},
  ) {
    this.exporter = options.exporter ?? createMetricExporter(config);
    this.resource = otlpResource(config.serviceName, config.resourceAttributes ?? {});
    this.logger = logger;
    this.intervalMs = config.pushInterval;
    this.afterPush = options.afterPush ?? (() => {});
  }

  /** Starts pushing every pushInterval. */
  start(): void {
    this.timer ??= setInterval(() => void this.push(), this.intervalMs);
    this.timer.unref();
  }

  /** Pushes now (a push still in flight is waited for instead of starting a second one). */
  push(): Promise<void> {
    this.inFlight ??= this.pushOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async pushOnce(): Promise<void> {
    let data: ResourceMetrics;
    try {
      const json = (await this.registry.getMetricsAsJSON()) as unknown as PromJsonMetric[];
      data = {
        resource: this.resource,
        scopeMetrics: [
          {
            scope: { name: 'wharf', version: VERSION },
            metrics: toMetricData(json, this.startTime, millisToHrTime(Date.now())),
          },
        ],
      };
    } catch (err) {
      this.logger.error({ err }, 'metrics.otlp: cannot collect the metrics');
      return;
    }
    this.afterPush();
    const result = await new Promise<ExportResult>((resolve) => this.exporter.export(data, resolve));
    this.pushes++;
    if (result.code === ExportResultCode.SUCCESS) {
      if (this.failing) this.logger.info('metrics.otlp: pushing metrics to the collector works again');
      this.failing = false;
    } else if (!this.failing) {
      this.failing = true;
      this.logger.warn(
        { err: String(result.error ?? 'unknown error') },
        'metrics.otlp: cannot push metrics to the collector; retrying every pushInterval (logged once until it works)',
      );
    }
  }

  /** Stops the timer, pushes a last time (what was counted since the last push) and closes the exporter. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.push();
    await this.exporter.shutdown();
  }
}
