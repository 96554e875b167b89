/**
 * Raw request targets and the one decision each gets (PROTOCOL.md §3.3, "one
 * target, one meaning"), for a router with the prefixes `/admin`, `/api/v2`
 * and `/café` in front of (or behind) an Express app that uses the same
 * prefixes (`app.use('/admin')`, `app.use('/api/v2')`, `app.use('/caf%C3%A9')`).
 *
 * `targets.test.ts` sends every row on a raw socket, in both arrangements
 * (mount in front of Express; Express guards in front of `toExpress(mount)`),
 * against Express 4 and 5, and checks that whenever the target is not
 * refused, Express and the mount pick the same prefix. Other routers (the
 * toolkit's) import the table to hold themselves to the same decisions.
 *
 * `target` is the request-target exactly as written on the wire (latin1).
 */
import type { TargetAmbiguity } from '../../src/protocol/target-check.js';

/** The prefixes of the table's router, decoded, and how Express spells the same ones in `app.use`. */
export const TABLE_PREFIXES = [
  { prefix: '/admin', express: '/admin', name: 'admin' },
  { prefix: '/api/v2', express: '/api/v2', name: 'v2' },
  { prefix: '/café', express: '/caf%C3%A9', name: 'cafe' },
] as const;

/** Which app a routed target reaches: a prefix's `name`, or `root` (the `/` mount). */
export type TableRoute = (typeof TABLE_PREFIXES)[number]['name'] | 'root';

export type TargetVerdict =
  /** The router answers `400` before any app runs. */
  | { refused: TargetAmbiguity }
  /** Node's HTTP parser answers `400` itself; no router sees the request. */
  | { parser: true }
  /** Routed: the app and the scope it sees (`query_string` `''` unless given). */
  | { route: TableRoute; root_path: string; path: string; raw_path: string; query_string?: string };

export interface TargetRow {
  target: string;
  /** Default `GET`. */
  method?: string;
  verdict: TargetVerdict;
  /** Why, for the reader (and the test name). */
  why: string;
}

const routed = (route: TableRoute, root_path: string, path: string, raw_path: string, query_string?: string): TargetVerdict =>
  query_string === undefined ? { route, root_path, path, raw_path } : { route, root_path, path, raw_path, query_string };
const refused = (reason: TargetAmbiguity): TargetVerdict => ({ refused: reason });

export const TARGET_TABLE: readonly TargetRow[] = [
  // ---- plain spellings: both routers agree
  { target: '/', verdict: routed('root', '', '/', '/'), why: 'the root' },
  { target: '/admin', verdict: routed('admin', '/admin', '/', '/admin'), why: 'the prefix itself' },
  { target: '/admin/', verdict: routed('admin', '/admin', '/', '/admin/'), why: 'one trailing slash' },
  { target: '/admin/users', verdict: routed('admin', '/admin', '/users', '/admin/users'), why: 'below the prefix' },
  { target: '/ADMIN/users', verdict: routed('admin', '/ADMIN', '/users', '/ADMIN/users'), why: 'case-insensitive, spelling kept in root_path' },
  { target: '/Admin', verdict: routed('admin', '/Admin', '/', '/Admin'), why: 'mixed case' },
  { target: '/adminx', verdict: routed('root', '', '/adminx', '/adminx'), why: 'whole segments only' },
  { target: '/admin.json', verdict: routed('root', '', '/admin.json', '/admin.json'), why: 'a dot inside a segment is no separator' },
  { target: '/admin;x/secret', verdict: routed('root', '', '/admin;x/secret', '/admin;x/secret'), why: 'no router strips ;params' },
  { target: '/admin%20/x', verdict: routed('root', '', '/admin /x', '/admin%20/x'), why: 'an encoded space matches neither way' },
  { target: '/admin%/x', verdict: routed('root', '', '/admin%/x', '/admin%/x'), why: 'a malformed escape stays literal' },
  { target: '/%2561dmin', verdict: routed('root', '', '/%61dmin', '/%2561dmin'), why: 'decoded once, never twice' },
  { target: '/admin%3Fx', verdict: routed('root', '', '/admin?x', '/admin%3Fx'), why: 'an encoded ? is data' },
  { target: '/api/v2', verdict: routed('v2', '/api/v2', '/', '/api/v2'), why: 'a two-segment prefix' },
  { target: '/api/v2/users?x=1', verdict: routed('v2', '/api/v2', '/users', '/api/v2/users', 'x=1'), why: 'the query is not routed' },
  { target: '/API/V2/x', verdict: routed('v2', '/API/V2', '/x', '/API/V2/x'), why: 'case-insensitive in every segment' },
  { target: '/api', verdict: routed('root', '', '/api', '/api'), why: 'half a prefix' },
  { target: '/api/', verdict: routed('root', '', '/api/', '/api/'), why: 'a trailing empty segment is compared and allowed' },
  { target: '/api/v3/x', verdict: routed('root', '', '/api/v3/x', '/api/v3/x'), why: 'second segment differs' },
  { target: '/api/v2x', verdict: routed('root', '', '/api/v2x', '/api/v2x'), why: 'whole second segment only' },
  { target: '/caf%C3%A9/x', verdict: routed('cafe', '/café', '/x', '/caf%C3%A9/x'), why: 'UTF-8 prefix, encoded as clients send it' },
  { target: '/caf%c3%a9/x', verdict: routed('cafe', '/café', '/x', '/caf%c3%a9/x'), why: 'lower-case hex: Express matches it too' },
  { target: '/CAF%C3%A9', verdict: routed('cafe', '/CAFé', '/', '/CAF%C3%A9'), why: 'case folding of the ASCII part' },
  { target: '/%E2%82%AC/x', verdict: routed('root', '', '/€/x', '/%E2%82%AC/x'), why: 'valid UTF-8 that matches nothing' },
  { target: '/%7Eadmin', verdict: routed('root', '', '/~admin', '/%7Eadmin'), why: 'matches neither way' },

  // ---- below the matched prefix nothing changes
  { target: '/users/a%2Fb', verdict: routed('root', '', '/users/a/b', '/users/a%2Fb'), why: '%2F in a segment no prefix compares' },
  { target: '/admin/a%2Fb', verdict: routed('admin', '/admin', '/a/b', '/admin/a%2Fb'), why: '%2F below the prefix (a route parameter)' },
  { target: '/api/v2/files/a%2Fb%5Cc', verdict: routed('v2', '/api/v2', '/files/a/b\\c', '/api/v2/files/a%2Fb%5Cc'), why: '%2F and %5C below the prefix' },
  { target: '/admin/%61', verdict: routed('admin', '/admin', '/a', '/admin/%61'), why: 'encoded letters below the prefix' },
  { target: '/admin//x', verdict: routed('admin', '/admin', '//x', '/admin//x'), why: 'an empty segment below the prefix' },
  { target: '/admin/x/../y', verdict: routed('admin', '/admin', '/x/../y', '/admin/x/../y'), why: 'a .. that stays below the prefix' },
  { target: '/admin/./x', verdict: routed('admin', '/admin', '/./x', '/admin/./x'), why: 'a . below the prefix' },
  { target: '/admin/%FF', verdict: routed('admin', '/admin', '/\u00ff', '/admin/%FF'), why: 'invalid UTF-8 below the prefix' },
  { target: '/admin?x=\\', verdict: routed('admin', '/admin', '/', '/admin', 'x=\\'), why: 'a \\ in the query is no separator (browsers send it raw)' },
  { target: '/x?a=%23', verdict: routed('root', '', '/x', '/x', 'a=%23'), why: 'an encoded # is data' },

  // ---- other target forms
  { target: 'http://h/admin/x', verdict: routed('admin', '/admin', '/x', '/admin/x'), why: 'absolute form' },
  { target: 'HTTPS://H/API/v2/', verdict: routed('v2', '/API/v2', '/', '/API/v2/'), why: 'absolute form, upper-case scheme' },
  { target: 'http://h', verdict: routed('root', '', '/', '/'), why: 'absolute form without a path' },
  { target: 'http://h?q=1', verdict: routed('root', '', '/', '/', 'q=1'), why: 'absolute form, query without a path' },
  { target: '*', method: 'OPTIONS', verdict: routed('root', '', '*', '*'), why: 'asterisk form goes to the root, as in Express' },
  { target: 'http://h:80/api/v2/x', verdict: routed('v2', '/api/v2', '/x', '/api/v2/x'), why: 'absolute form with a port' },
  { target: 'http://u@h/admin', verdict: routed('admin', '/admin', '/', '/admin'), why: 'absolute form with userinfo' },
  { target: 'http://h/admin?', verdict: routed('admin', '/admin', '/', '/admin'), why: 'absolute form, bare ?' },
  { target: '/admin?', verdict: routed('admin', '/admin', '/', '/admin'), why: 'a bare ? (request_target keeps it for req.url)' },
  { target: '/?', verdict: routed('root', '', '/', '/'), why: 'a bare ? at the root' },
  // url.parse (Express's reading of an absolute-form req.url) moves part of these authorities into the
  // path (`;x/admin`), or escapes a path character: the whole target stays raw_path, so no prefix matches.
  { target: 'http://h;x/admin/secret', verdict: routed('root', '', 'http://h;x/admin/secret', 'http://h;x/admin/secret'), why: 'url.parse: path ;x/admin/secret' },
  { target: "http://h'x/admin", verdict: routed('root', '', "http://h'x/admin", "http://h'x/admin"), why: 'url.parse: path %27x/admin' },
  { target: 'http://h%x/admin', verdict: routed('root', '', 'http://h%x/admin', 'http://h%x/admin'), why: 'url.parse: path %x/admin' },

  // ---- ambiguous for every router: refused whatever the prefixes
  { target: '/admin#', verdict: refused('fragment'), why: 'Express cuts at #: /admin' },
  { target: '/admin#x', verdict: refused('fragment'), why: 'Express cuts at #: /admin' },
  { target: 'http://h/admin#/x', verdict: refused('fragment'), why: 'absolute form with a fragment' },
  { target: '/admin\\secret#', verdict: refused('fragment'), why: 'url.parse turns \\ into / before a #: /admin/secret' },
  { target: '/#/admin', verdict: refused('fragment'), why: 'a fragment right after the root' },
  { target: '/api/v2#', verdict: refused('fragment'), why: 'a fragment after a two-segment prefix' },
  { target: '/x?y#/admin', verdict: refused('fragment'), why: 'a # in the query' },
  { target: '/admin\\secret', verdict: refused('backslash'), why: 'a separator for url.parse and Windows, data for Express' },
  { target: '/\\admin', verdict: refused('backslash'), why: 'a leading backslash' },
  { target: '/users\\..\\admin', verdict: refused('backslash'), why: 'backslash dot segments' },

  // ---- ambiguous in the segments the mount compares
  { target: '/%61dmin/secret', verdict: refused('encoding-mismatch'), why: 'decoded /admin, raw not: Express guards miss it' },
  { target: '/adm%69n/secret', verdict: refused('encoding-mismatch'), why: 'an encoded letter inside' },
  { target: '/%41DMIN', verdict: refused('encoding-mismatch'), why: 'encoded and case-folded' },
  { target: '/api/%76%32', verdict: refused('encoding-mismatch'), why: 'in the second compared segment' },
  { target: '/CAF%C3%89', verdict: refused('encoding-mismatch'), why: 'decoded café case-insensitively, raw not (Express: no)' },
  { target: '/admin%2Fsecret', verdict: refused('encoded-separator'), why: 'decoded /admin/secret, raw one segment' },
  { target: '/admin%2fsecret', verdict: refused('encoded-separator'), why: 'lower-case %2f' },
  { target: '/%2Fadmin/secret', verdict: refused('encoded-separator'), why: 'decoded //admin: normalisers read /admin' },
  { target: '/admin%5Csecret', verdict: refused('encoded-separator'), why: 'an encoded backslash' },
  { target: '/api%2Fv2/x', verdict: refused('encoded-separator'), why: 'decoded /api/v2/x' },
  { target: '/api/v2%2Fx', verdict: refused('encoded-separator'), why: 'in the second compared segment' },
  { target: '//admin/secret', verdict: refused('empty-segment'), why: 'Express: not /admin; express.static: /admin/secret' },
  { target: '///admin/secret', verdict: refused('empty-segment'), why: 'two empty segments' },
  { target: '/api//v2', verdict: refused('empty-segment'), why: 'an empty segment between compared ones' },
  { target: '/./admin', verdict: refused('dot-segment'), why: 'normalisers read /admin' },
  { target: '/../admin', verdict: refused('dot-segment'), why: 'normalisers read /admin' },
  { target: '/%2e/admin', verdict: refused('dot-segment'), why: 'an encoded dot segment' },
  { target: '/%2E%2E/admin/secret', verdict: refused('dot-segment'), why: 'an encoded dot-dot segment' },
  { target: '/api/./v2', verdict: refused('dot-segment'), why: 'a dot segment between compared ones' },
  { target: '/api/../admin', verdict: refused('dot-segment'), why: 'compared .. (normalisers: /admin)' },
  { target: '/admin/..', verdict: refused('dot-segment'), why: 'a .. climbing out of the prefix (normalisers: /)' },
  { target: '/admin/x/../..', verdict: refused('dot-segment'), why: 'two .. climbing out of the prefix' },
  { target: '/public/../admin/secret', verdict: refused('dot-segment'), why: 'a .. climbing into the compared segment' },
  { target: '/x/..%2Fadmin', verdict: refused('dot-segment'), why: 'an encoded-slash .. climbing back' },
  { target: '/admin%00', verdict: refused('nul'), why: 'a NUL in a compared segment' },
  { target: '/%00admin/x', verdict: refused('nul'), why: 'a leading NUL' },
  { target: '/%FF/admin', verdict: refused('invalid-utf8'), why: 'a lone byte' },
  { target: '/%C0%AE%C0%AE/admin', verdict: refused('invalid-utf8'), why: 'overlong dots' },
  { target: '/%C0%AFadmin', verdict: refused('invalid-utf8'), why: 'an overlong slash' },
  { target: '/%ED%A0%80', verdict: refused('invalid-utf8'), why: 'an encoded surrogate' },
  { target: '/adm%C3n', verdict: refused('invalid-utf8'), why: 'a truncated sequence' },

  // ---- refused by Node's parser before any router
  { target: '/adm\u00e9n', verdict: { parser: true }, why: 'a raw byte above 0x7f' },
  { target: '/admin secret', verdict: { parser: true }, why: 'a raw space' },
  { target: 'http://h#/admin', verdict: { parser: true }, why: 'a # ending the authority' },
  { target: 'http://h\\admin', verdict: { parser: true }, why: 'a \\ ending the authority' },
  { target: 'admin/secret', verdict: { parser: true }, why: 'neither origin nor absolute form' },
];
