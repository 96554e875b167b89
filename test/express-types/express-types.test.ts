/**
 * `import 'pagi/express'` types `req.pagi` for Express users: compiled with
 * the TypeScript compiler against @types/express 5 (the dev dependency) and
 * @types/express 4 (the `@types/express4` npm alias, whose own
 * express-serve-static-core 4 npm nests under it; tsconfig.express4.json maps
 * both). Without the import, `req.pagi` is an error.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Compiles one of the tsconfig files next to this test; returns its diagnostics as text. */
function compile(config: string): { errors: string[]; files: string[] } {
  const parsed = ts.getParsedCommandLineOfConfigFile(`${here}${config}`, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (parsed === undefined) throw new Error(`cannot read ${config}`);
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  // Only the fixture's own diagnostics: the sources are checked by `npm run typecheck`, and
  // checking one file checks just what it uses (seconds instead of half a minute).
  const fixtures = program.getSourceFiles().filter((f) => f.fileName.startsWith(here));
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...fixtures.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
  ];
  const errors = diagnostics.map((d) => {
    const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  return { errors, files: program.getSourceFiles().map((f) => f.fileName) };
}

const coreOf = (files: string[]): string[] => files.filter((f) => f.endsWith('express-serve-static-core/index.d.ts'));

describe("import 'pagi/express'", () => {
  it('types req.pagi against @types/express 5', () => {
    const { errors, files } = compile('tsconfig.express5.json');
    expect(errors).toEqual([]);
    expect(coreOf(files)).toEqual([expect.stringMatching(/node_modules\/@types\/express-serve-static-core\/index\.d\.ts$/)]);
  });

  it('types req.pagi against @types/express 4', () => {
    const { errors, files } = compile('tsconfig.express4.json');
    expect(errors).toEqual([]);
    // Only version 4 of Express's core types is in the program.
    expect(coreOf(files)).toEqual([expect.stringMatching(/@types\/express4\/node_modules\/@types\/express-serve-static-core\/index\.d\.ts$/)]);
    expect(files.some((f) => /@types\/express\/index\.d\.ts$/.test(f))).toBe(false);
  });

  it('is opt-in: without the import, req.pagi does not exist', () => {
    expect(compile('tsconfig.without.json').errors).toEqual([]); // the @ts-expect-error there is used
  });
});
