/**
 * What the CLI says when the app module cannot be imported. A syntax error
 * names the file and line, with the source line and Node's caret when Node
 * has them: `SyntaxError: missing ) after argument list (./app.mjs:2)`.
 *
 * Node puts the location of a CommonJS (or tsx-compiled) syntax error at the
 * top of `error.stack`, but keeps that of an ES module in an internal field
 * it only prints for uncaught errors. For those, `node --check <file>`
 * reports it without running anything; it can only check the app's own file,
 * so an error in a module the app imports keeps just its message. A
 * TypeScript app compiled by tsx fails with esbuild's `TransformError`, whose
 * message lists `<file>:<line>:<column>: ERROR: <text>` after its first line.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKABLE = new Set(['.js', '.mjs', '.cjs']);
// `/srv/app.mjs:2`, `file:///srv/app.mjs:2`, `C:\srv\app.mjs:2`, alone on the first line.
const LOCATION = /^((?:file:\/\/|\/|[A-Za-z]:\\)[^\n]*?):(\d+)$/;
const ESBUILD_ERROR = /^(.+?):(\d+):(\d+): ERROR: (.*)$/m;

interface Where {
  file: string;
  line: number;
  /** The offending source line and Node's caret under it, when Node printed them. */
  excerpt: string[];
}

/** A syntax error of `import(file)`, as the text after `cannot load ./app.mjs: `; undefined for other errors. */
export function describeSyntaxError(error: unknown, absolute: string, cwd: string): string | undefined {
  if (error instanceof Error && error.name === 'TransformError') {
    const esbuild = ESBUILD_ERROR.exec(error.message);
    if (esbuild) return `${error.name}: ${esbuild[4]} (${displayPath(esbuild[1] as string, cwd)}:${esbuild[2]}:${esbuild[3]})`;
  }
  if (!(error instanceof SyntaxError)) return undefined;
  const where = locationIn(error.stack ?? '') ?? (CHECKABLE.has(path.extname(absolute)) ? checkSyntax(absolute) : undefined);
  const summary = `${error.name}: ${error.message.split('\n')[0] ?? ''}`;
  if (where === undefined) return summary;
  const shown = displayPath(where.file, cwd);
  return [`${summary} (${shown}:${where.line})`, ...where.excerpt.map((text) => `    ${text}`)].join('\n');
}

/** Parses Node's `<file>:<line>\n<source>\n<caret>\n\n` preamble. */
export function locationIn(text: string): Where | undefined {
  const lines = text.split('\n');
  const match = LOCATION.exec(lines[0] ?? '');
  if (!match) return undefined;
  const excerpt: string[] = [];
  for (const line of lines.slice(1, 3)) {
    if (line.trim() === '') break;
    excerpt.push(line);
  }
  return { file: match[1] as string, line: Number(match[2]), excerpt };
}

function checkSyntax(absolute: string): Where | undefined {
  const result = spawnSync(process.execPath, ['--check', absolute], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? undefined : locationIn(result.stderr ?? '');
}

function displayPath(file: string, cwd: string): string {
  const absolute = file.startsWith('file://') ? fileURLToPath(file) : file;
  const relative = path.relative(cwd, absolute);
  return relative.startsWith('..') || path.isAbsolute(relative) ? absolute : `.${path.sep}${relative}`;
}
