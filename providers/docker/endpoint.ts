import { Agent } from 'node:https';
import { createRequire } from 'node:module';
import type Dockerode from 'dockerode';
import { WharfError } from '../../config/errors.ts';
import type { DockerProviderConfig } from '../../config/static.ts';
import { readTlsFiles } from '../tls-files.ts';

const DEFAULT_ENDPOINT = 'unix:///var/run/docker.sock';

/** The endpoint in use: providers.docker.endpoint, or DOCKER_HOST when the endpoint is left at its default. */
export function effectiveEndpoint(
  config: Pick<DockerProviderConfig, 'endpoint'>,
  env: Record<string, string | undefined>,
): string {
  return config.endpoint === DEFAULT_ENDPOINT && env.DOCKER_HOST ? env.DOCKER_HOST : config.endpoint;
}

/**
 * Dockerode connection options for an endpoint: `unix:///path`, or `tcp://host:port` (`http://`,
 * `https://` also read) with `tls.{ca,cert,key,insecureSkipVerify}`. No API version is pinned: the daemon
 * serves its own. Throws an Error naming the option when the endpoint cannot be used.
 */
export function dockerOptions(
  config: Pick<DockerProviderConfig, 'endpoint' | 'tls'>,
  env: Record<string, string | undefined>,
): Dockerode.DockerOptions {
  const endpoint = effectiveEndpoint(config, env);
  // docker-modem fills unset options from DOCKER_HOST, DOCKER_CERT_PATH and DOCKER_CLIENT_TIMEOUT; every
  // key is set here (undefined where unused) so only providers.docker decides where Wharf connects.
  const none = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
  };
  if (endpoint.startsWith('unix://')) return { ...none, socketPath: endpoint.slice('unix://'.length) };
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(endpoint);
  if (!m) {
    throw new WharfError('DOCKER_ENDPOINT_INVALID', {
      from: endpoint === config.endpoint ? '' : ' (from DOCKER_HOST)',
      endpoint: endpoint.replace(/\/\/[^@/]+@/, '//***@'),
    });
  }
  const tls = config.tls;
  const secure = m[1] === 'https' || tls !== undefined;
  const options: Dockerode.DockerOptions = {
    ...none,
    host: m[2]?.replace(/^\[|\]$/g, ''),
    port: Number(m[3]),
    protocol: secure ? 'https' : 'http',
  };
  if (secure) {
    const { ca, cert, key } = readTlsFiles('providers.docker.tls', tls);
    Object.assign(options, { ca, cert, key });
    if (tls?.insecureSkipVerify) {
      (options as { agent?: Agent }).agent = new Agent({ ca, cert, key, rejectUnauthorized: false });
    }
  }
  return options;
}

const require = createRequire(import.meta.url);

/**
 * A Dockerode client for the configured endpoint. dockerode (with docker-modem and ssh2, ~30 MiB once
 * loaded) is loaded here, on first use, so a router without the Docker provider never loads it.
 */
export function dockerClient(
  config: DockerProviderConfig,
  env: Record<string, string | undefined>,
): Dockerode {
  const Docker = require('dockerode') as typeof Dockerode;
  return new Docker(dockerOptions(config, env));
}
