import type { Diagnostic } from '../config/diagnostics.ts';
import type { DynamicConfig } from '../config/dynamic.ts';
import { encodeFlatKeys } from '../config/flat-keys.ts';
import {
  type ContainerDocument,
  DOCUMENT_LABEL_PREFIX,
  DOCUMENT_VERSION,
  hostKeys,
  MAX_DOCUMENT_BYTES,
} from '../core/registrar-document.ts';
import { compileRuleText } from '../core/rules/rule-matcher.ts';
import { ruleSyntaxOf } from '../core/rules/rule-syntax.ts';
import { stableStringify } from '../core/stable-stringify.ts';
import type { ContainerInfo } from '../providers/docker/container.ts';
import { containerName, type DockerDecodeOptions, decodeContainer } from '../providers/docker/decode.ts';
import { labelDiagnostic } from '../providers/docker/labels.ts';

// From the containers Docker reports to the documents Consul should hold for this host. Pure.

/** The desired documents: KV key → JSON text. */
export interface DesiredState {
  readonly documents: Map<string, string>;
  /** Problems found while decoding (the registrar logs them; each also travels in its document). */
  readonly diagnostics: Diagnostic[];
}

/**
 * The document every routed container should have, from what Docker reports. A container the decoder
 * leaves out (disabled, not running, not matching constraints) has none, so its key is deleted.
 * Deterministic: the same containers give byte-identical documents, so nothing unchanged is rewritten.
 */
export function desiredDocuments(
  containers: readonly ContainerInfo[],
  opts: DockerDecodeOptions,
  rootKey: string,
  host: string,
): DesiredState {
  const keys = hostKeys(rootKey, host);
  const documents = new Map<string, string>();
  const diagnostics: Diagnostic[] = [];
  const sorted = [...containers].sort((a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  for (const c of sorted) {
    const decoded = decodeContainer(c, opts);
    if (decoded.skipped !== undefined) {
      diagnostics.push(...decoded.diagnostics);
      continue;
    }
    const name = containerName(c);
    const own = [...decoded.diagnostics];
    const config = withoutBadRules(decoded.config, name, opts.labelPrefix, own);
    diagnostics.push(...own);
    const labels: Record<string, string> = {};
    for (const e of encodeFlatKeys(config, { style: 'label', root: DOCUMENT_LABEL_PREFIX }))
      labels[e.key] = e.value;
    const doc: ContainerDocument = {
      version: DOCUMENT_VERSION,
      host,
      container: { id: c.Id, name },
      labels,
      diagnostics: own.map((d) => ({
        code: d.code,
        severity: d.severity,
        message: d.message,
        ...(d.key !== undefined && { key: d.key }),
        ...(d.value !== undefined && { value: d.value }),
        ...(d.item !== undefined && { item: { kind: d.item.kind, name: d.item.name } }),
      })),
    };
    const text = stableStringify(doc);
    const size = Buffer.byteLength(text);
    if (size > MAX_DOCUMENT_BYTES) {
      diagnostics.push(
        labelDiagnostic(name, {
          code: 'REGISTRAR_DOCUMENT_TOO_LARGE',
          params: { container: name, size: String(size), limit: String(MAX_DOCUMENT_BYTES) },
        }),
      );
      continue;
    }
    documents.set(`${keys.containers}${c.Id}`, text);
  }
  return { documents, diagnostics };
}

/**
 * The configuration without routers whose rule the router would reject (the Docker decoder does not parse
 * rules; the router's compile does). Each one left out gets a diagnostic, appended to `diagnostics`, so
 * a router never receives a rule it would refuse.
 */
function withoutBadRules(
  config: DynamicConfig,
  container: string,
  prefix: string,
  diagnostics: Diagnostic[],
): DynamicConfig {
  const routers = config.http?.routers;
  if (!routers) return config;
  const kept = { ...routers };
  for (const [r, router] of Object.entries(routers)) {
    const rule = router.rule?.trim() ?? '';
    const syntax = ruleSyntaxOf(router.ruleSyntax, undefined);
    const compiled = rule === '' ? undefined : compileRuleText(rule, syntax);
    if (!compiled || compiled.ok) continue;
    // Without ruleSyntax, the routers' core.defaultRuleSyntax (unknown here) decides: a valid v2 rule stays.
    if (!router.ruleSyntax && compiled.code === 'RULE_V2_SYNTAX') continue;
    delete kept[r];
    diagnostics.push({
      source: 'docker',
      subject: container,
      code: compiled.code,
      message: `router "${r}": ${compiled.message}; router "${r}" is left out`,
      severity: 'error',
      item: { kind: 'router', name: r },
      key: `${prefix}.http.routers.${r}.rule`,
      value: router.rule ?? '',
    });
  }
  return { ...config, http: { ...config.http, routers: kept } };
}
