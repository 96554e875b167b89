/**
 * Loading the application for the CLI (PROTOCOL.md §2.5): `./app.js` (default
 * export) or `./app.js:name`, `.js/.mjs/.cjs`, and TypeScript through `tsx`
 * when it is installed. Every failure is an `AppLoadFailed` with a one-line
 * message. A module that exports an Express app, Router or Connect app
 * instead of a PAGI app is served through `fromExpress`, with one info line
 * saying so (otherwise every request would die on `res.setHeader`). A syntax error adds
 * its file, line and source line (`load-error.ts`).
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromExpress, type NodeHandler } from '../bridge/index.js';
import { describeType } from '../protocol/errors.js';
import type { App } from '../protocol/types.js';
import { AppLoadFailed } from './errors.js';
import { describeSyntaxError } from './load-error.js';

const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);
const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);
// `file:name`; the name must look like an export name so Windows drive letters (`C:\app.js`) stay paths.
const EXPORT_SUFFIX = /:([A-Za-z_$][\w$]*)$/;

export interface AppSpec {
  file: string;
  exportName: string | undefined;
}

/** Splits `./app.js:name` into the file and the export name. */
export function parseAppSpec(spec: string): AppSpec {
  const match = EXPORT_SUFFIX.exec(spec);
  if (match && match.index > 0) return { file: spec.slice(0, match.index), exportName: match[1] };
  return { file: spec, exportName: undefined };
}

/** Loads the app of `spec`; `onInfo` hears how a non-PAGI export is adapted. */
export async function loadApp(spec: string, cwd = process.cwd(), onInfo?: (message: string) => void): Promise<App> {
  const { file, exportName } = parseAppSpec(spec);
  const absolute = path.resolve(cwd, file);
  let isFile: boolean;
  try {
    isFile = statSync(absolute).isFile();
  } catch {
    throw new AppLoadFailed(`cannot find the app file ${file}`);
  }
  if (!isFile) throw new AppLoadFailed(`${file} is not a file`);
  const ext = path.extname(absolute);
  if (TS_EXTENSIONS.has(ext)) await enableTypeScript(absolute, file, cwd);
  else if (!JS_EXTENSIONS.has(ext)) {
    throw new AppLoadFailed(`${file}: unsupported file type '${ext}' (use .js, .mjs, .cjs, or .ts with tsx installed)`);
  }

  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (err) {
    throw new AppLoadFailed(`cannot load ${file}: ${describeSyntaxError(err, absolute, cwd) ?? oneLine(err)}`, { cause: err });
  }
  const where = exportName === undefined ? file : `${file}:${exportName}`;
  let value = mod[exportName ?? 'default'];
  // A CommonJS module arrives as { default: module.exports }; named lookups may need to go through it.
  if (value === undefined && exportName !== undefined) value = propertyOf(mod.default, exportName);
  if (value === undefined) {
    throw new AppLoadFailed(
      exportName === undefined
        ? `${file} has no default export (name the export with ${file}:name)`
        : `${file} has no export named '${exportName}'`,
    );
  }
  return toApp(value, where, onInfo, absolute);
}

/**
 * §2.5: a function, or an object whose `to_app()` (called once) returns one.
 * An Express/Connect handler (see `nodeHandlerKind`) becomes `fromExpress(value)`.
 */
export function toApp(value: unknown, where: string, onInfo?: (message: string) => void, file?: string): App {
  if (typeof value === 'function') {
    const kind = nodeHandlerKind(value);
    if (kind === undefined) return value as App;
    // A Router's routes expect the req/res helpers only an Express app adds (res.send, req.params...).
    const host = kind === 'an Express Router' && file !== undefined ? inExpressApp(value as NodeHandler, file) : undefined;
    const how = host === undefined ? 'through fromExpress()' : 'in an Express app through fromExpress()';
    onInfo?.(`${where} exports ${kind}, not a PAGI app: serving it ${how}`);
    return fromExpress(host ?? (value as NodeHandler));
  }
  if (typeof value === 'object' && value !== null) {
    const toAppMethod = (value as { to_app?: unknown }).to_app;
    if (typeof toAppMethod === 'function') {
      let app: unknown;
      try {
        app = (toAppMethod as () => unknown).call(value);
      } catch (err) {
        throw new AppLoadFailed(`${where}: to_app() failed: ${oneLine(err)}`, { cause: err });
      }
      if (typeof app !== 'function') throw new AppLoadFailed(`${where}: to_app() returned ${describeType(app)}, not a function`);
      return app as App;
    }
    // TypeScript compiled to CommonJS: { __esModule: true, default: app }.
    const inner = (value as { default?: unknown }).default;
    if (typeof inner === 'function') return toApp(inner, where, onInfo, file);
  }
  throw new AppLoadFailed(`${where} is ${describeType(value)}, not a PAGI app (a function, or an object with to_app())`);
}

/**
 * What kind of `(req, res, next)` handler `fn` is, or undefined for anything
 * else (a PAGI app). They all carry a `handle(req, res, next)` method, which
 * a PAGI app has no reason to have: Express apps also have `set` and
 * `listen`, Connect apps `listen` and a `stack`, Routers a `stack`.
 */
export function nodeHandlerKind(fn: unknown): string | undefined {
  if (typeof fn !== 'function') return undefined;
  const f = fn as { handle?: unknown; set?: unknown; listen?: unknown; stack?: unknown };
  if (typeof f.handle !== 'function') return undefined;
  if (typeof f.set === 'function' && typeof f.listen === 'function') return 'an Express app';
  if (typeof f.listen === 'function') return 'a Connect app';
  if (Array.isArray(f.stack)) return 'an Express Router';
  return 'a Connect-style handler';
}

/** `express().use(router)` with the `express` the app's own file resolves, or undefined when there is none. */
function inExpressApp(router: NodeHandler, file: string): NodeHandler | undefined {
  try {
    const express = createRequire(file)('express') as () => NodeHandler & { use(handler: NodeHandler): unknown };
    const app = express();
    app.use(router);
    return app;
  } catch {
    return undefined;
  }
}

/**
 * Registers `tsx` (resolved from the app's directory first, so the project's
 * own copy wins) before importing a `.ts` app.
 */
async function enableTypeScript(absolute: string, file: string, cwd: string): Promise<void> {
  const api = resolveTsxApi(absolute) ?? resolveTsxApi(path.join(cwd, 'noop.js'));
  if (api === undefined) {
    if ((process.features as { typescript?: unknown }).typescript) return; // Node's own type stripping
    throw new AppLoadFailed(`${file} is TypeScript: install tsx (npm install --save-dev tsx) to run .ts apps`);
  }
  try {
    const mod = (await import(pathToFileURL(api).href)) as { register?: () => unknown };
    mod.register?.();
  } catch (err) {
    throw new AppLoadFailed(`cannot enable TypeScript through tsx: ${oneLine(err)}`, { cause: err });
  }
}

/** The ESM entry of `tsx/esm/api` as seen from `fromFile`, or undefined when tsx is not installed there. */
function resolveTsxApi(fromFile: string): string | undefined {
  try {
    const pkgPath = createRequire(fromFile).resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, unknown> };
    const entry = pkg.exports?.['./esm/api'] as { import?: { default?: string } | string } | undefined;
    const target = typeof entry?.import === 'string' ? entry.import : entry?.import?.default;
    return target === undefined ? undefined : path.join(path.dirname(pkgPath), target);
  } catch {
    return undefined;
  }
}

function propertyOf(value: unknown, name: string): unknown {
  return (typeof value === 'object' || typeof value === 'function') && value !== null
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** The first line of an error's message, for one-line CLI output. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return text.split('\n')[0] ?? text;
}
