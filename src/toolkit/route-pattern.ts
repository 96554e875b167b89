/**
 * Route patterns with Express 5's syntax and matching: `path-to-regexp` 8,
 * the library Express 5's router runs, with the router's options
 * (case-insensitive, trailing slash optional unless `strict`) and its
 * parameter decoding (`decodeURIComponent`, a broken escape is a 400).
 *
 * Like Express, a pattern is matched against the request path as the client
 * encoded it (below any mount), not against the decoded `scope.path`: a
 * literal segment matches only its own spelling, and `%2F` inside a
 * parameter is part of the parameter (`/files/:name` takes `a%2Fb` as
 * `'a/b'`) instead of a segment boundary. So a route answers exactly the
 * targets the same route in Express answers. (A raw `#`, where Express cuts
 * the path and this matcher would not, is refused by the router.)
 */
import { match, type MatchFunction, type ParamData } from 'path-to-regexp';
import { encodedRootPrefix, encodePath } from '../protocol/paths.js';
import type { ConnectionScope } from '../protocol/types.js';
import { HttpError } from './errors.js';

/** Matching options, named as Express's router names them. */
export interface PatternOptions {
  /** `/Users` and `/users` differ. Default false (Express's default). */
  caseSensitive?: boolean;
  /** `/users/` and `/users` differ. Default false (Express's default). */
  strict?: boolean;
}

/** A compiled route pattern. */
export type PatternMatcher = MatchFunction<ParamData>;

/** Compiles `path` (Express 5 syntax); a malformed pattern throws path-to-regexp's `TypeError`. */
export function compilePattern(path: string, options: PatternOptions = {}): PatternMatcher {
  if (typeof path !== 'string') throw new TypeError('router: a route path must be a string');
  const strict = options.strict === true;
  return match(strict || path === '/' ? path : path.replace(/\/+$/, ''), {
    sensitive: options.caseSensitive === true,
    end: true,
    trailing: !strict,
    decode: decodeParam,
  });
}

/**
 * The path a route is matched against: `raw_path` below the mount (the raw
 * spelling of `root_path` removed). A scope whose `raw_path` does not start
 * with its `root_path` (built by hand) falls back to the re-encoded `path`.
 */
export function routingPath(scope: Pick<ConnectionScope, 'raw_path' | 'root_path' | 'path'>): string {
  const prefix = scope.root_path === '' ? '' : encodedRootPrefix(scope.raw_path, scope.root_path);
  if (prefix === undefined) return encodePath(scope.path);
  const rest = scope.raw_path.slice(prefix.length);
  return rest === '' ? '/' : rest;
}

/** Express's `decodeParam`: `decodeURIComponent`, with a 400 for a broken escape. */
function decodeParam(value: string): string {
  if (value.length === 0 || !value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch (error) {
    throw new HttpError(400, `Failed to decode param '${value}'`, { cause: error });
  }
}

// ---------------------------------------------------------------- param types

type Upper = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'N' | 'O' | 'P' | 'Q' | 'R' | 'S' | 'T' | 'U' | 'V' | 'W' | 'X' | 'Y' | 'Z';
type NameChar = Upper | Lowercase<Upper> | '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '_' | '$';

type ReadName<S extends string, N extends string = ''> = S extends `"${infer Quoted}"${infer Rest}`
  ? N extends ''
    ? [Quoted, Rest]
    : [N, S]
  : S extends `${infer C}${infer Rest}`
    ? C extends NameChar
      ? ReadName<Rest, `${N}${C}`>
      : [N, S]
    : [N, S];

type Param<N extends string, V, Depth extends unknown[]> = Depth extends [] ? { [K in N]: V } : { [K in N]?: V };
type Pop<D extends unknown[]> = D extends [unknown, ...infer T] ? T : [];

type Parse<S extends string, Depth extends unknown[], Acc> = S extends `\\${string}${infer Rest}`
  ? Parse<Rest, Depth, Acc>
  : S extends `{${infer Rest}`
    ? Parse<Rest, [...Depth, 0], Acc>
    : S extends `}${infer Rest}`
      ? Parse<Rest, Pop<Depth>, Acc>
      : S extends `:${infer Rest}`
        ? ReadName<Rest> extends [infer N extends string, infer After extends string]
          ? Parse<After, Depth, Acc & Param<N, string, Depth>>
          : Acc
        : S extends `*${infer Rest}`
          ? ReadName<Rest> extends [infer N extends string, infer After extends string]
            ? Parse<After, Depth, Acc & Param<N, string[], Depth>>
            : Acc
          : S extends `${string}${infer Rest}`
            ? Parse<Rest, Depth, Acc>
            : Acc;

type Simplify<T> = { [K in keyof T]: T[K] };

/**
 * The parameters of a route path, typed from its literal: `:id` → `string`,
 * `*rest` → `string[]` (the decoded segments), inside `{…}` → optional.
 * `ParamsOf<'/users/:id{/:format}'>` is `{ id: string; format?: string }`.
 */
export type ParamsOf<Path extends string> = string extends Path
  ? Partial<Record<string, string | string[]>>
  : Simplify<Parse<Path, [], unknown>>;
