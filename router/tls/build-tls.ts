import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../../config/diagnostics.ts';
import type { TlsConfig } from '../../config/dynamic.ts';
import { type ErrorCode, formatError } from '../../config/errors.ts';
import { joinName } from '../../config/names.ts';
import type { DefaultGeneratedCert } from '../../config/tls-store.ts';
import { isProblem, type LoadedCertificate, loadCertificate, type ReadFile } from './certificates.ts';
import { type CompiledTlsOptions, compileTlsOptions, DEFAULT_TLS_OPTIONS } from './options.ts';
import { CertificateStore } from './store.ts';

/** The TLS options name routers get when they name none; global, never qualified with a provider. */
export const DEFAULT_OPTIONS = 'default';

/** What building the TLS state needs besides the configuration. */
export interface TlsDeps {
  /** Reads certificate and key files (default: readFileSync). */
  readonly readFile?: ReadFile;
  /** The generated certificate served when no `tls.stores.default.defaultCertificate` is set. */
  readonly generatedDefault?: LoadedCertificate;
  /**
   * Providers whose certificates certificate resolvers obtained (ACME, `<resolver>.acme`): served after every
   * configured certificate, so a configured certificate wins a name, as Traefik asks no resolver for a name
   * one serves.
   */
  readonly acmeProviders?: ReadonlySet<string>;
}

/** One generation's certificates and TLS options. */
export interface TlsState {
  readonly store: CertificateStore;
  /** Valid options by name (`default`, `name@provider`); `default` is always there. */
  readonly options: ReadonlyMap<string, CompiledTlsOptions>;
  /** Options left out for bad values, with the first reason: routers naming them say why. */
  readonly invalidOptions: ReadonlyMap<string, string>;
  /** Ids of the certificates that came from `acmeProviders`: they never count as configured ones. */
  readonly acmeCertificateIds: ReadonlySet<string>;
  /** `tls.stores.default.defaultGeneratedCert`, for the certificate resolvers to obtain. */
  readonly defaultGeneratedCert?: DefaultGeneratedCert;
}

/**
 * Builds the TLS state of a generation from every provider's `tls` section (providers in name order, those
 * of certificate resolvers last):
 * loads and checks each certificate (a bad one is left out with a diagnostic naming it; the rest serve),
 * compiles the options (qualified `name@provider`, except the global `default`), and picks the default
 * certificate. Reads files, so a changed certificate file is picked up by the next reload.
 */
export function buildTls(
  sections: ReadonlyArray<{ provider: string; config: TlsConfig }>,
  deps: TlsDeps,
): { state: TlsState; diagnostics: Diagnostic[] } {
  const readFile = deps.readFile ?? readFileSync;
  const diagnostics: Diagnostic[] = [];
  const report = (
    severity: Diagnostic['severity'],
    subject: string,
    item: string,
    code: ErrorCode,
    message: string,
  ) =>
    diagnostics.push({
      source: 'compile',
      subject,
      code,
      message,
      severity,
      item: { kind: 'tls', name: item },
    });

  const certificates: LoadedCertificate[] = [];
  const defaults: Array<{ provider: string; cert: LoadedCertificate | undefined }> = [];
  const options = new Map<string, CompiledTlsOptions>();
  const invalidOptions = new Map<string, string>();
  const defaultOptionProviders: string[] = [];
  const acmeCertificateIds = new Set<string>();
  const generated: Array<{ provider: string; value: DefaultGeneratedCert }> = [];
  const isAcme = (provider: string) => deps.acmeProviders?.has(provider) === true;
  const ordered = [
    ...sections.filter((s) => !isAcme(s.provider)),
    ...sections.filter((s) => isAcme(s.provider)),
  ];

  /** Loads a certificate; a problem is reported against the item (`certificates[0]`) and gives undefined. */
  const load = (
    c: Parameters<typeof loadCertificate>[0],
    provider: string,
    item: string,
    key: string,
  ): LoadedCertificate | undefined => {
    const loaded = loadCertificate(c, readFile);
    if (!isProblem(loaded)) return loaded;
    const message = formatError(loaded.code, { item: `${key} (provider ${provider})`, ...loaded.params });
    report('error', `tls.${item}@${provider}`, item, loaded.code, message);
    return undefined;
  };

  for (const { provider, config } of ordered) {
    (config.certificates ?? []).forEach((c, i) => {
      const item = `certificates[${i}]`;
      const loaded = load(c, provider, item, `tls.${item}`);
      if (!loaded) return;
      const others = (c.stores ?? []).filter((s) => s !== 'default');
      if (others.length > 0) {
        const message = formatError('CONFIG_UNSUPPORTED', {
          key: `tls.${item}.stores (provider ${provider})`,
          what: `the store ${others.join(', ')} (only the default store exists; the certificate goes there)`,
        });
        report('warning', `tls.${item}@${provider}`, item, 'CONFIG_UNSUPPORTED', message);
      }
      certificates.push(loaded);
      if (isAcme(provider)) acmeCertificateIds.add(loaded.id);
    });
    for (const [storeName, store] of Object.entries(config.stores ?? {})) {
      const item = `stores.${storeName}`;
      if (storeName !== 'default') {
        const message = formatError('CONFIG_UNSUPPORTED', {
          key: `tls.${item} (provider ${provider})`,
          what: 'a store other than default (Traefik honours only default too)',
        });
        report('warning', `tls.${item}@${provider}`, item, 'CONFIG_UNSUPPORTED', message);
        continue;
      }
      if (store.defaultGeneratedCert) generated.push({ provider, value: store.defaultGeneratedCert });
      if (!store.defaultCertificate) continue;
      defaults.push({
        provider,
        cert: load(store.defaultCertificate, provider, item, `tls.${item}.defaultCertificate`),
      });
    }
    for (const [name, o] of Object.entries(config.options ?? {})) {
      const qualified = name === DEFAULT_OPTIONS ? DEFAULT_OPTIONS : joinName(name, provider);
      if (name === DEFAULT_OPTIONS) defaultOptionProviders.push(provider);
      const compiled = compileTlsOptions(
        qualified,
        { ...(name === DEFAULT_OPTIONS ? DEFAULT_TLS_OPTIONS : {}), ...o },
        readFile,
      );
      if (compiled.ok) options.set(qualified, compiled.options);
      else {
        const problem = compiled.problems.join('; ');
        invalidOptions.set(qualified, problem);
        report(
          'error',
          `tls.options.${name}@${provider}`,
          `options.${name}`,
          'TLS_OPTIONS_INVALID',
          formatError('TLS_OPTIONS_INVALID', { options: qualified, problem }),
        );
      }
    }
  }

  const builtIn = compileTlsOptions(DEFAULT_OPTIONS, DEFAULT_TLS_OPTIONS);
  if (!builtIn.ok) throw new Error(`built-in TLS options are invalid: ${builtIn.problems.join('; ')}`);
  if (defaultOptionProviders.length > 1) {
    options.set(DEFAULT_OPTIONS, builtIn.options);
    invalidOptions.delete(DEFAULT_OPTIONS);
    report(
      'error',
      'tls.options.default',
      'options.default',
      'TLS_DEFAULT_CONFLICT',
      formatError('TLS_DEFAULT_CONFLICT', {
        item: 'tls.options.default',
        providers: defaultOptionProviders.join(', '),
        fallback: 'the built-in default options are used',
      }),
    );
  } else if (!options.has(DEFAULT_OPTIONS)) {
    // An invalid user `default` disables the routers that rely on it, as any invalid option does.
    if (!invalidOptions.has(DEFAULT_OPTIONS)) options.set(DEFAULT_OPTIONS, builtIn.options);
  }

  let defaultCertificate = deps.generatedDefault;
  if (defaults.length > 1) {
    report(
      'error',
      'tls.stores.default',
      'stores.default',
      'TLS_DEFAULT_CONFLICT',
      formatError('TLS_DEFAULT_CONFLICT', {
        item: 'tls.stores.default.defaultCertificate',
        providers: defaults.map((d) => d.provider).join(', '),
        fallback: 'the generated default certificate is used',
      }),
    );
  } else if (defaults[0]?.cert) defaultCertificate = defaults[0].cert;
  const wanted = defaultGenerated(generated, defaults.length > 0, report);
  if (wanted && defaults.length === 0) {
    // As Traefik: the resolver's certificate for exactly these names, once it has it; until then the
    // generated one.
    const names = domainNames(wanted.domain);
    const found = certificates.find((c) => acmeCertificateIds.has(c.id) && sameNames(c.names, names));
    if (found) defaultCertificate = found;
  }

  return {
    state: {
      store: new CertificateStore(certificates, defaultCertificate),
      options,
      invalidOptions,
      acmeCertificateIds,
      ...(wanted ? { defaultGeneratedCert: wanted } : {}),
    },
    diagnostics,
  };
}

/** The names of a domain, lower case, without duplicates. */
const domainNames = (d: DefaultGeneratedCert['domain']) => [
  ...new Set([d.main, ...(d.sans ?? [])].map((n) => n.toLowerCase().replace(/\.$/, ''))),
];

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');

/**
 * The one `defaultGeneratedCert` in force: none when several providers set one (reported), nor when
 * `defaultCertificate` is set too (reported; the configured certificate wins, as Traefik's ACME provider
 * refuses to use both).
 */
function defaultGenerated(
  generated: ReadonlyArray<{ provider: string; value: DefaultGeneratedCert }>,
  hasDefault: boolean,
  report: (
    s: Diagnostic['severity'],
    subject: string,
    item: string,
    code: ErrorCode,
    message: string,
  ) => void,
): DefaultGeneratedCert | undefined {
  if (generated.length > 1) {
    report(
      'error',
      'tls.stores.default',
      'stores.default',
      'TLS_DEFAULT_CONFLICT',
      formatError('TLS_DEFAULT_CONFLICT', {
        item: 'tls.stores.default.defaultGeneratedCert',
        providers: generated.map((g) => g.provider).join(', '),
        fallback: 'none is obtained; the generated default certificate is used',
      }),
    );
    return undefined;
  }
  if (generated.length === 1 && hasDefault) {
    report(
      'warning',
      'tls.stores.default',
      'stores.default',
      'CONFIG_UNSUPPORTED',
      formatError('CONFIG_UNSUPPORTED', {
        key: `tls.stores.default.defaultGeneratedCert (provider ${generated[0]?.provider})`,
        what: 'defaultGeneratedCert next to defaultCertificate (Traefik refuses both at once); defaultCertificate is served and nothing is obtained',
      }),
    );
    return undefined;
  }
  return generated[0]?.value;
}
