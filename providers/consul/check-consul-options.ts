import type { Diagnostic } from '../../config/diagnostics.ts';
import type { ConsulProviderConfig } from '../../config/static.ts';
import { staticDiagnostic } from '../static-diagnostic.ts';
import { readTlsFiles } from '../tls-files.ts';

/**
 * The Consul provider's checks of its own options (Traefik's provider `Init()`): its TLS files are read,
 * so a wrong path stops the start with the option named instead of failing on the first request.
 */
export function checkConsulOptions(config: ConsulProviderConfig): Diagnostic[] {
  try {
    readTlsFiles('providers.consul.tls', config.tls);
    return [];
  } catch (err) {
    return [staticDiagnostic('consul', 'providers.consul.tls', err)];
  }
}
