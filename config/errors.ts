/**
 * The one error-code catalog. Every diagnostic, log line about bad input and error response carries one
 * of these codes; tests assert codes, not message wording. Templates use `{name}` placeholders filled by
 * `formatError`. `status` is the HTTP status for errors rendered on the request path.
 */
export const ERRORS = {
  // --- configuration decoding (files, flags, env, labels, KV) ---
  CONFIG_UNKNOWN_KEY: { template: 'unknown key "{key}"{hint}' },
  CONFIG_INVALID_VALUE: { template: '{key}: {problem}' },
  CONFIG_EMPTY_VALUE: { template: '{key}: empty value; give a value or remove the key' },
  CONFIG_PARSE_ERROR: { template: 'cannot parse {file}{where}: {problem}' },
  CONFIG_READ_ERROR: { template: 'cannot read {file}: {problem}' },
  CONFIG_KEY_CONFLICT: { template: '{key}: set both as a value and as a section ({other})' },
  CONFIG_BAD_INDEX: { template: '{key}: list index "{index}" is not a number' },
  CONFIG_UNSUPPORTED: { template: '{key}: {what} is not supported by Wharf yet; it is ignored' },
  CONFIG_SECTION_OFF: {
    template:
      '{key} is ignored: {section}={value} switches that section off (as in Traefik, any value but true does); remove one of them',
  },
  CONFIG_DEPRECATED: { template: '{key} is deprecated: {replacement}' },
  CONFIG_UNSUPPORTED_UNSAFE: {
    template:
      '{key}: {what} is not supported by Wharf yet, and ignoring it could weaken security or change which server answers, so this item is left out; remove the key to use the item without it',
  },
  MIDDLEWARE_TYPE_UNSUPPORTED: {
    template: 'middleware "{name}": type "{type}" is not supported by Wharf yet (supported: {supported})',
  },
  MIDDLEWARE_TYPE_COUNT: { template: 'middleware "{name}": {problem}' },
  SERVICE_TYPE_COUNT: { template: 'service "{name}": {problem}' },

  // --- rules ---
  RULE_SYNTAX: { template: 'rule "{rule}": {problem} at column {column}' },
  RULE_UNKNOWN_MATCHER: { template: 'rule "{rule}": unknown matcher {matcher} at column {column}{hint}' },
  RULE_ARGUMENTS: { template: 'rule "{rule}": {matcher} {problem} at column {column}' },
  RULE_BAD_REGEXP: { template: 'rule "{rule}": invalid regular expression {pattern}: {problem}' },
  RULE_BAD_IP: { template: 'rule "{rule}": ClientIP "{value}" is not an IP address or CIDR range' },
  RULE_V2_ARGUMENTS: { template: 'rule "{rule}" (Traefik v2 syntax): {problem} at column {column}' },
  RULE_V2_SYNTAX: {
    template:
      'rule "{rule}": {problem}; this is Traefik v2 syntax, which v3 reads differently: write it as {rewrite}, or set ruleSyntax: v2 on the router',
  },
  RULE_V2_LOOKALIKE: {
    template:
      'rule "{rule}": {what} in v3 syntax; if it is a Traefik v2 rule, write it as {rewrite}, or set ruleSyntax: v2 on the router',
  },
  RULE_TOO_COMPLEX: {
    template: 'rule "{rule}": {problem} at column {column}; split it into several routers or simplify it',
  },

  // --- compile: cross references ---
  ROUTER_NO_RULE: { template: 'router "{router}" has no rule' },
  ROUTER_SERVICE_MISSING: { template: 'router "{router}": service "{service}" does not exist' },
  ROUTER_NO_SERVICE: { template: 'router "{router}" names no service' },
  ROUTER_MIDDLEWARE_MISSING: { template: 'router "{router}": middleware "{middleware}" does not exist' },
  ROUTER_ENTRYPOINT_UNKNOWN: { template: 'router "{router}": entryPoint "{entryPoint}" does not exist' },
  ROUTER_NO_ENTRYPOINT: { template: 'router "{router}" has no valid entryPoint' },
  ROUTER_DISABLED_DEPENDENCY: { template: 'router "{router}": {kind} "{name}" is disabled: {reason}' },
  ROUTER_CONFLICT: {
    template: 'router "{router}" is defined differently in {sources}; it is disabled until they agree',
  },
  ROUTER_INTERNAL_SERVICE: {
    template: 'router "{router}": service "{service}" cannot be used: {reason}',
  },
  ROUTER_PRIORITY_TOO_HIGH: {
    template:
      'router "{router}": the router priority {priority} exceeds the max user-defined priority {max}; lower it (the range above is for internal routers)',
  },
  MIDDLEWARE_RECURSION: { template: 'middleware "{middleware}": recursion through {path}' },
  MIDDLEWARE_INVALID: { template: 'middleware "{middleware}": {problem}' },
  SERVICE_REFERENCE_MISSING: {
    template: 'service "{service}": {field} names "{target}", which does not exist',
  },
  SERVICE_RECURSION: { template: 'service "{service}": recursion through {path}' },
  SERVICE_INVALID: { template: 'service "{service}": {problem}' },
  SERVICE_CONFLICT: {
    template: 'service "{service}" is defined differently in {sources}; it is disabled until they agree',
  },
  MIDDLEWARE_CONFLICT: {
    template:
      'middleware "{middleware}" is defined differently in {sources}; it is disabled until they agree',
  },
  SERVERS_TRANSPORT_CONFLICT: {
    template:
      'serversTransport "{serversTransport}" is defined differently in {sources}; it is disabled until they agree',
  },
  NAME_HAS_AT: {
    template: '{kind} name "{name}" contains "@", which is reserved for provider qualification',
  },

  // --- tls (certificates, options, HTTPS) ---
  TLS_CERT_UNREADABLE: {
    template: '{item}: cannot read {field} {path}: {problem}; the certificate is left out',
  },
  TLS_CERT_INVALID: {
    template: '{item}: {field} {path} is not usable: {problem}; the certificate is left out',
  },
  TLS_KEY_MISMATCH: {
    template: '{item}: keyFile {keyFile} is not the key of certFile {certFile}; the certificate is left out',
  },
  TLS_OPTIONS_INVALID: { template: 'tls option "{options}": {problem}; routers using it are disabled' },
  TLS_DEFAULT_CONFLICT: {
    template: '{item} is defined by several providers ({providers}); {fallback}',
  },
  ROUTER_TLS_OPTIONS_MISSING: { template: 'router "{router}": tls option "{options}" does not exist{hint}' },
  ROUTER_TLS_OPTIONS_CONFLICT: {
    template:
      'router "{router}": host {host} has routers with different tls options ({options}) on entryPoint {entryPoint}; the default options are used for it',
  },
  ROUTER_TLS_OPTIONS_NO_HOST: {
    template:
      'router "{router}": tls option "{options}" is chosen by server name, but the rule has no Host(): connections get the options of the name they ask for (default when no router names it); add a Host() to the rule',
  },
  TLS_MISDIRECTED: {
    template: 'host {host} needs other TLS options than server name {serverName} (421 Misdirected Request)',
    status: 421,
  },

  // --- providers ---
  PROVIDER_FAILED: { template: 'provider {provider}: {problem}; the last good configuration keeps serving' },
  FILE_INVALID: { template: '{file}{where}: {problem}' },

  // --- static configuration and start-up (each stops the start, except where the template says) ---
  STATIC_CONFIG_INVALID: { template: 'invalid static configuration:\n  {problems}' },
  ENTRYPOINT_ADDRESS_INVALID: {
    template:
      'entryPoints.{entryPoint}.address: "{address}" is not an address; write ":80", "127.0.0.1:8000" or "[::1]:8080"',
  },
  ENTRYPOINT_REDIRECT_UNKNOWN: {
    template:
      'entryPoints.{entryPoint}.http.redirections.entryPoint.to: "{to}" is neither an entryPoint ({known}) nor a port like ":443"',
  },
  ENTRYPOINT_TRUSTED_IPS_INVALID: {
    template: 'entryPoints.{entryPoint}.{section}.trustedIPs: {problem}; write IPs or CIDR ranges',
  },
  ENTRYPOINT_CERT_RESOLVER_UNKNOWN: {
    template:
      'entryPoints.{entryPoint}.http.tls.certResolver: "{resolver}" is not in certificatesResolvers ({known}); {entryPoint} serves the configured certificates or the default one',
  },
  ENTRYPOINT_LISTEN_FAILED: { template: 'entryPoint {entryPoint}: cannot listen on {address}: {problem}' },
  PING_ENTRYPOINT_UNKNOWN: {
    template: 'ping.entryPoint: "{entryPoint}" is not an entryPoint ({known}); name one of them',
  },
  METRICS_ENTRYPOINT_UNKNOWN: {
    template:
      'metrics.prometheus.entryPoint: "{entryPoint}" is not an entryPoint ({known}); name one of them, or set manualRouting and route prometheus@internal yourself',
  },
  FILE_PROVIDER_SOURCE: { template: 'providers.file: {problem}' },
  PROVIDER_TLS_FILE_UNREADABLE: {
    template: '{option}: cannot read {path}: {problem}; give a readable PEM file',
  },
  DOCKER_ENABLE_MISSPELLED: {
    template:
      'label "{key}={value}" is not a Traefik label: did you mean "{expected}"? The container is left out until it is renamed, so that a misspelled enable=false never exposes it',
  },
  DOCKER_ENDPOINT_INVALID: {
    template:
      'providers.docker.endpoint{from}: "{endpoint}" is not unix:///path/docker.sock or tcp://host:port',
  },
  LOG_FILE_UNWRITABLE: { template: '{option}: cannot open {path} for writing: {problem}' },
  OTLP_OPTION_INVALID: { template: '{option}: {problem}' },

  // --- request path ---
  NO_ROUTE: { template: 'no router matches {host}{path}', status: 404 },
  NO_HEALTHY_SERVER: { template: 'service "{service}" has no healthy server', status: 503 },
  UPSTREAM_UNREACHABLE: { template: 'upstream {server} unreachable: {problem}', status: 502 },
  UPSTREAM_TIMEOUT: { template: 'upstream {server} timed out: {problem}', status: 504 },
  CLIENT_CLOSED: { template: 'client closed the request before the response', status: 499 },
  INTERNAL: { template: 'internal error: {problem}', status: 500 },
  // forwardAuth: Traefik answers 500 when the auth server cannot be asked, 401 when a body is over its limit.
  FORWARD_AUTH_FAILED: { template: 'forwardAuth: cannot ask {address}: {problem}', status: 500 },
  FORWARD_AUTH_BODY_TOO_LARGE: {
    template: 'forwardAuth: the request body is larger than maxBodySize ({limit} bytes)',
    status: 401,
  },
  FORWARD_AUTH_RESPONSE_TOO_LARGE: {
    template: 'forwardAuth: the answer of {address} is larger than maxResponseBodySize ({limit} bytes)',
    status: 401,
  },

  // failover errors: Traefik answers 413 when the body to keep for the fallback is over maxRequestBodyBytes.
  FAILOVER_REQUEST_TOO_LARGE: {
    template:
      'failover "{service}": the request body is larger than errors.maxRequestBodyBytes ({limit} bytes)',
    status: 413,
  },

  // buffering (vulcand/oxy's buffer): 413 for a request body over its limit, 500 for a response body over it.
  BUFFERING_REQUEST_TOO_LARGE: {
    template: 'buffering: the request body is larger than maxRequestBodyBytes ({limit} bytes)',
    status: 413,
  },
  BUFFERING_RESPONSE_TOO_LARGE: {
    template:
      'buffering: the response body of the service is larger than maxResponseBodyBytes ({limit} bytes)',
    status: 500,
  },

  // waf (issue 17): the engine is a native addon over libmodsecurity3; without it the waf middlewares are
  // disabled (the diagnostic's code), every other item serves.
  WAF_UNAVAILABLE: {
    template: 'waf: ModSecurity is not available: {problem}',
  },
  WAF_RULES_INVALID: {
    template: 'waf: the rules do not compile: {problem}',
  },

  // --- docker provider ---
  DOCKER_NO_PORT: {
    template:
      'container "{container}": service "{service}" has no port (the container exposes none); set {label}',
  },
  DOCKER_NETWORK_NOT_FOUND: {
    template:
      'container "{container}": network "{network}" (from {from}) is not one of its networks ({networks}){hint}',
  },
  DOCKER_NETWORK_AMBIGUOUS: {
    template:
      'container "{container}" is on several networks ({networks}); set {label}=<one of them> (or providers.docker.network) to choose the one Wharf uses',
  },
  DOCKER_NO_ADDRESS: { template: 'container "{container}" has no IP address{where}' },
  DOCKER_NETWORK_MODE_UNSUPPORTED: {
    template: 'container "{container}": network mode "{mode}" is not supported{hint}',
  },
  DOCKER_SERVICE_AMBIGUOUS: {
    template: 'router "{router}": cannot pick among services {services}: set {label}',
  },
  DOCKER_DEFAULT_RULE: { template: 'defaultRule "{template}": {problem} at column {column}' },
  DOCKER_CONSTRAINTS: { template: 'constraints "{expression}": {problem} at column {column}' },
  // --- registrar (container documents published into Consul KV) ---
  REGISTRAR_PORT_NOT_PUBLISHED: {
    template:
      'container "{container}": port {port} is not published on the host{detail}, so routers on other hosts cannot reach it; publish it (ports: ["{port}"]) or set registrar.address=container',
  },
  REGISTRAR_HOST_ID_UNUSABLE: {
    template:
      'the Docker Engine reported no usable ID ("{id}") for the default registrar.hostId; set registrar.hostId',
  },
  REGISTRAR_DOCUMENT_INVALID: { template: 'registrar document {key}: {problem}' },
  REGISTRAR_UNKNOWN_KEY: {
    template:
      'unknown registrar key "{key}"; the registrar writes <root>/registrar/<host>/lease and <root>/registrar/<host>/containers/<id> only',
  },
  REGISTRAR_DOCUMENT_TOO_LARGE: {
    template:
      'container "{container}": its configuration is {size} bytes, over the {limit}-byte limit of one Consul value; it is not published',
  },
  // --- ACME (certificate resolvers) ---
  ROUTER_CERT_RESOLVER_UNKNOWN: {
    template:
      'router "{router}": certificate resolver "{resolver}" does not exist (certificatesResolvers: {known}); the configured or default certificate is served',
  },
  ACME_CONFIG_INVALID: { template: 'certificatesResolvers.{resolver}.acme: {problem}' },
  // DNS-01 (issue 18): a dnsChallenge Wharf cannot use, and ACME keys it accepts without acting on them.
  ACME_DNS_PROVIDER_UNUSABLE: {
    template:
      'certificatesResolvers.{resolver}.acme.dnsChallenge: {problem}; DNS-01 is off for this resolver (wildcard names are not requested; other names use its HTTP-01 or TLS-ALPN-01 challenge if any)',
  },
  ACME_OPTION_IGNORED: { template: 'certificatesResolvers.{resolver}.acme.{option}: {problem}' },
  ACME_DOMAIN_INVALID: {
    template: 'router "{router}" (certificate resolver "{resolver}"): {problem}; no certificate is requested',
  },
  ACME_ORDER_FAILED: {
    template:
      'certificate resolver "{resolver}": cannot obtain a certificate for {domains} from {ca}: {problem}; the default certificate serves them until it succeeds (next attempt in {retry})',
  },
  ACME_STORAGE_FAILED: { template: 'certificate resolver "{resolver}": storage {storage}: {problem}' },
  ACME_STORAGE_PERMISSIONS: {
    template:
      'certificate resolver "{resolver}": permissions {mode} for {storage} are too open, please use 600; the resolver is disabled',
  },
} as const satisfies Record<string, { template: string; status?: number }>;

/** A code from the catalog. */
export type ErrorCode = keyof typeof ERRORS;

/** Fills an error template; unknown placeholders are left as written so a missing parameter shows. */
export function formatError(
  code: ErrorCode,
  params: Record<string, string | number | undefined> = {},
): string {
  return ERRORS[code].template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    return v === undefined ? (name === 'hint' || name === 'where' ? '' : whole) : String(v);
  });
}

/** The HTTP status for a request-path error code (500 for codes without one). */
export function errorStatus(code: ErrorCode): number {
  const def = ERRORS[code] as { status?: number };
  return def.status ?? 500;
}

/** An Error carrying a catalog code, thrown on the request path and by loaders. */
export class WharfError extends Error {
  readonly code: ErrorCode;
  readonly params: Record<string, string | number | undefined>;
  constructor(
    code: ErrorCode,
    params: Record<string, string | number | undefined> = {},
    options?: ErrorOptions,
  ) {
    super(formatError(code, params), options);
    this.name = 'WharfError';
    this.code = code;
    this.params = params;
  }
}
