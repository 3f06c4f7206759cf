import type { StaticConfig } from '../config/static.ts';
import type { Logger } from '../core/log.ts';
import { ConsulProvider } from '../providers/consul/consul-provider.ts';
import { DockerProvider } from '../providers/docker/docker-provider.ts';
import { FileProvider } from '../providers/file/file-provider.ts';
import type { Provider } from '../providers/provider.ts';

/** The providers the static configuration enables. */
export function defaultProviders(c: StaticConfig, logger: Logger): Provider[] {
  const out: Provider[] = [];
  if (c.providers.docker) out.push(new DockerProvider({ config: c.providers.docker, logger }));
  if (c.providers.consul) out.push(new ConsulProvider({ config: c.providers.consul, logger }));
  const f = c.providers.file;
  if (f && (f.filename || f.directory)) {
    out.push(
      new FileProvider({
        ...(f.filename ? { filename: f.filename } : {}),
        ...(f.directory ? { directory: f.directory } : {}),
        watch: f.watch,
        logger,
      }),
    );
  }
  return out;
}
