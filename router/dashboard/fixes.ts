import type { ErrorCode } from '../../config/errors.ts';

/**
 * What the dashboard tells an operator to do about a diagnostic: the fix, and for problems compile finds
 * (which carry no key of their own) the item's key that holds the mistake, so the page can name the
 * label, KV key or file entry to edit.
 */
export interface Fix {
  readonly fix: string;
  /** The key under the item (`rule`, `service`, `tls.options`) that a compile diagnostic is about. */
  readonly field?: string;
}

const CONFLICT = 'Make the definitions agree, or give them different names; each provider then has its own.';
const ENTRYPOINT =
  'Name an entryPoint of the static configuration (listed on the overview), or add it to entryPoints there.';

/**
 * The fix for each code a configuration item can carry. Codes whose message already says the fix (a
 * Docker label to set, a column in a rule) still get one line here, so the page always has a "Fix" row.
 */
export const FIXES: Partial<Record<ErrorCode, Fix>> = {
  CONFIG_UNKNOWN_KEY: { fix: 'Rename the key (to the suggestion, when there is one) or remove it.' },
  CONFIG_INVALID_VALUE: { fix: 'Give the key a value of the kind the message asks for.' },
  CONFIG_EMPTY_VALUE: { fix: 'Give the key a value, or remove it.' },
  CONFIG_KEY_CONFLICT: { fix: 'Keep either the value or the section under this key, not both.' },
  CONFIG_BAD_INDEX: { fix: 'Number list entries 0, 1, 2, … (servers[0].url, servers/0/url).' },
  CONFIG_UNSUPPORTED: {
    fix: 'Nothing to do for the item to serve: the option is ignored. Remove it to silence this.',
  },
  CONFIG_DEPRECATED: { fix: 'Use the replacement the message names.' },
  CONFIG_UNSUPPORTED_UNSAFE: {
    fix: 'Remove the key to serve the item without it; Wharf will not ignore an option that protects traffic.',
  },
  MIDDLEWARE_TYPE_UNSUPPORTED: {
    fix: 'Use a supported middleware type, or remove the middleware and the routers’ references to it.',
  },
  MIDDLEWARE_TYPE_COUNT: {
    fix: 'Give the middleware exactly one type; split it into two middlewares to use both.',
  },
  SERVICE_TYPE_COUNT: {
    fix: 'Give the service exactly one of loadBalancer, weighted, mirroring or failover.',
  },
  RULE_SYNTAX: {
    field: 'rule',
    fix: 'Correct the rule at the column shown: matchers look like Host(`example.com`) && PathPrefix(`/api`).',
  },
  RULE_UNKNOWN_MATCHER: {
    field: 'rule',
    fix: 'Use a Traefik v3 matcher: Host, HostRegexp, Path, PathPrefix, PathRegexp, Method, Header, HeaderRegexp, Query, QueryRegexp, ClientIP.',
  },
  RULE_ARGUMENTS: { field: 'rule', fix: 'Give the matcher the arguments it takes, each in backquotes.' },
  RULE_BAD_REGEXP: {
    field: 'rule',
    fix: 'Correct the regular expression (RE2 syntax: no look-around, no back-references).',
  },
  RULE_BAD_IP: { field: 'rule', fix: 'Give ClientIP an IP address or a CIDR range such as 10.0.0.0/8.' },
  RULE_TOO_COMPLEX: { field: 'rule', fix: 'Split the rule over several routers, or simplify it.' },
  ROUTER_NO_RULE: { field: 'rule', fix: 'Give the router a rule.' },
  ROUTER_SERVICE_MISSING: {
    field: 'service',
    fix: 'Define the service, or correct the name; a service of another provider needs its @provider suffix (whoami@docker).',
  },
  ROUTER_NO_SERVICE: { field: 'service', fix: 'Name the service the router sends requests to.' },
  ROUTER_MIDDLEWARE_MISSING: {
    field: 'middlewares',
    fix: 'Define the middleware, or correct the name; a middleware of another provider needs its @provider suffix.',
  },
  ROUTER_ENTRYPOINT_UNKNOWN: { field: 'entryPoints', fix: ENTRYPOINT },
  ROUTER_NO_ENTRYPOINT: { field: 'entryPoints', fix: ENTRYPOINT },
  ROUTER_DISABLED_DEPENDENCY: {
    fix: 'Fix the item the message names (open it for its own problem); this router comes back by itself.',
  },
  ROUTER_CONFLICT: { fix: CONFLICT },
  SERVICE_CONFLICT: { fix: CONFLICT },
  MIDDLEWARE_CONFLICT: { fix: CONFLICT },
  SERVERS_TRANSPORT_CONFLICT: { fix: CONFLICT },
  MIDDLEWARE_RECURSION: { fix: 'Break the cycle: a chain must not reach the middleware it starts from.' },
  MIDDLEWARE_INVALID: { fix: 'Correct the middleware’s options as the message says.' },
  WAF_UNAVAILABLE: {
    fix: 'Install ModSecurity and build the addon: apt-get install -y libmodsecurity3 libmodsecurity-dev modsecurity-crs, then npm run build:native; restart Wharf.',
  },
  WAF_RULES_INVALID: { fix: 'Correct the rule files or inlineRules at the line the message names.' },
  SERVICE_REFERENCE_MISSING: { fix: 'Define the service it names, or correct the name.' },
  SERVICE_RECURSION: {
    fix: 'Break the cycle: a weighted, mirroring or failover service must not reach itself.',
  },
  SERVICE_INVALID: { fix: 'Correct the service’s options as the message says.' },
  NAME_HAS_AT: { fix: 'Rename the item without "@": Wharf adds @provider to names itself.' },
  TLS_OPTIONS_INVALID: {
    fix: 'Correct the TLS options; the routers using them serve again once they are valid.',
  },
  ROUTER_TLS_OPTIONS_MISSING: {
    field: 'tls.options',
    fix: 'Define the TLS options under tls.options, or correct the name.',
  },
  ROUTER_TLS_OPTIONS_CONFLICT: {
    field: 'tls.options',
    fix: 'Give every router of this host on this entryPoint the same tls.options.',
  },
  ROUTER_TLS_OPTIONS_NO_HOST: { field: 'rule', fix: 'Add a Host() matcher to the rule.' },
  ROUTER_CERT_RESOLVER_UNKNOWN: {
    field: 'tls.certResolver',
    fix: 'Name a resolver of certificatesResolvers in the static configuration, or add it there.',
  },
  ACME_DOMAIN_INVALID: {
    field: 'tls.domains',
    fix: 'Give the router a Host() rule or tls.domains with valid names.',
  },
  TLS_CERT_UNREADABLE: { fix: 'Make the file readable by Wharf, or correct the path.' },
  TLS_CERT_INVALID: { fix: 'Give a PEM certificate (and key) that parse, and are not expired.' },
  TLS_KEY_MISMATCH: { fix: 'Pair the certificate with its own private key.' },
  DOCKER_NO_PORT: { fix: 'Set the label the message names to the port the container listens on.' },
  DOCKER_NETWORK_NOT_FOUND: { fix: 'Name one of the container’s networks in the docker.network label.' },
  DOCKER_NETWORK_AMBIGUOUS: { fix: 'Set the label the message names to the network Wharf should use.' },
  DOCKER_NO_ADDRESS: { fix: 'Attach the container to a network Wharf can reach, or publish its port.' },
  DOCKER_NETWORK_MODE_UNSUPPORTED: { fix: 'Run the container on a bridge, overlay or host network.' },
  DOCKER_SERVICE_AMBIGUOUS: { fix: 'Set the label the message names to the service this router uses.' },
  PROVIDER_FAILED: { fix: 'Restore the provider’s source; the last good configuration serves meanwhile.' },
  FILE_INVALID: { fix: 'Correct the file at the line shown; the last good configuration serves meanwhile.' },
};
