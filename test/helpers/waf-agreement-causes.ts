// Why Wharf and nginx + ModSecurity disagree on a corpus request, by request name: each disagreement
// test/integration/waf-agreement.test.ts finds must be explained here (it fails otherwise), and
// docs/waf-agreement.md prints the explanation beside the request. Every one found so far comes from the
// HTTP layer in front of the engine (nginx's parser against Node's llhttp and Wharf's target cleaning),
// not from the engine: both run the same libmodsecurity on the same rules.

/** Explanations of the known disagreements, by corpus request name. */
export const DISAGREEMENT_CAUSES: Readonly<Record<string, string>> = {
  'lfi-traversal-in-path':
    "Both stop it. nginx decodes `%2f` while normalising the path, finds `..` above the root and answers 400 before ModSecurity runs; Node accepts the target, Wharf keeps the reserved `%2f` escapes as they are (Traefik's path sanitising leaves them alone), and the CRS matches the traversal (930100, 930110).",
  'lfi-dotdot-path-raw':
    "nginx answers 400 for `..` segments that climb above the root. Wharf cleans the path before routing (Traefik's `sanitizePath`, on by default), so the waf and the backend both see `/etc/passwd`, which no longer climbs anywhere and which no CRS rule at paranoia level 1 matches as a path. The traversal never reaches the backend; the request does, cleaned.",
  'protocol-method-trace':
    'Both stop it. nginx refuses TRACE itself (405) before ModSecurity runs; Node passes it on and the CRS refuses the method (911100).',
  'protocol-method-unknown':
    "Both stop it. Node's HTTP parser (llhttp) only knows registered methods and answers 400 to `FOOBAR`; nginx accepts any token as a method and the CRS refuses it (911100).",
  'protocol-te-gzip-chunked':
    'nginx answers 501 to a transfer coding other than chunked; Node accepts `Transfer-Encoding: gzip, chunked` (chunked last, as RFC 9112 requires) and decodes the chunks, the waf inspects the 3-byte body (`a=1`, nothing matches) and Wharf forwards it.',
  'protocol-bad-http-version':
    "Both stop it. Node's parser refuses `HTTP/1.2` (400); nginx accepts any 1.x version and the CRS refuses it (920430).",
  'protocol-underscore-header-shellshock':
    'nginx drops header names with underscores (`underscores_in_headers off`, its default), so ModSecurity never sees the shellshock payload and the backend never receives the header; Node keeps the header, the waf sees it and the CRS stops the request (932170). Wharf is the stricter one.',
  'protocol-bare-lf':
    "Both stop it. Node's parser refuses line ends without CR (400); nginx accepts bare LF and the CRS stops the SQL injection (942100).",
  'protocol-utf8-in-path':
    "Node's parser refuses a raw byte above 0x7F in the request target (400; a target is ASCII, browsers percent-encode the rest); nginx accepts it, ModSecurity matches nothing at paranoia level 1 (920250, which validates UTF-8, runs only with `tx.crs_validate_utf8_encoding` set) and nginx forwards the raw bytes. Wharf is the stricter one.",
  'protocol-fragment-in-target':
    "Wharf refuses a `#` in the request path (400, Traefik's fragment check) before the waf runs. nginx passes the raw target on; libmodsecurity matches nothing in it at paranoia level 1 (the CRS's XSS rules read arguments, cookies and some headers, not the path's fragment).",
  'protocol-ctl-char-in-header':
    "Node's parser refuses a control character (0x01) in a header value (400, RFC 9110's field-value grammar); nginx accepts it and no CRS rule at paranoia level 1 matches (920274, which checks header characters, is paranoia level 4). Wharf is the stricter one.",
};
