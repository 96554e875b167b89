// Keeps README.md, MIGRATION.md and docs/protocol.md true to the repository: examples, links, CLI
// flags, and every protocol event and scope type documented.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../../src/server/cli-args.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string): string => readFileSync(join(repoRoot, file), 'utf8');
const docs = ['README.md', 'MIGRATION.md'] as const;

const examples = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, 'examples', entry.name, 'server.ts')))
  .map((entry) => entry.name);

describe('README.md and MIGRATION.md', () => {
  it('list every example, each with its README and its test', () => {
    const readme = read('README.md');
    expect(examples.length).toBeGreaterThanOrEqual(11);
    for (const name of examples) {
      expect(readme, name).toContain(`[${name}](examples/${name})`);
      expect(existsSync(join(repoRoot, 'examples', name, 'README.md')), `${name}/README.md`).toBe(true);
      expect(existsSync(join(repoRoot, 'examples', name, `${name}.test.ts`)), `${name}.test.ts`).toBe(true);
    }
  });

  it('document every pagi-server option', () => {
    const readme = read('README.md');
    const flags = [...USAGE.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(readme, flag).toContain(`\`${flag}`);
  });

  it('link only to files that exist', () => {
    for (const doc of docs) {
      const links = [...read(doc).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
      expect(links.length, doc).toBeGreaterThan(0);
      for (const link of links) expect(existsSync(join(repoRoot, dirname(doc), link)), `${doc} → ${link}`).toBe(true);
    }
  });

  it('put the two commands first', () => {
    const readme = read('README.md');
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm install\nnpm start/);
    expect(readme.indexOf('npm test')).toBeLessThan(readme.indexOf('## Hello'));
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** The `type` literals of the protocol's scope and event unions, read with the compiler (so new events count). */
function protocolTypes(): { scopes: string[]; events: string[] } {
  const file = join(repoRoot, 'src/protocol/types.ts');
  const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const literalsOf = (alias: string): string[] => {
    const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!).find((s) => s.name === alias);
    expect(symbol, alias).toBeDefined();
    const type = checker.getDeclaredTypeOfSymbol(symbol!);
    const members = type.isUnion() ? type.types : [type];
    return [
      ...new Set(
        members.map((member) => {
          const typeOfType = checker.getTypeOfSymbol(member.getProperty('type')!);
          expect(typeOfType.isStringLiteral(), `${alias}: a member without a literal type`).toBe(true);
          return (typeOfType as ts.StringLiteralType).value;
        }),
      ),
    ];
  };
  return { scopes: literalsOf('Scope'), events: [...literalsOf('ReceiveEvent'), ...literalsOf('SendEvent')] };
}

describe('docs/protocol.md', () => {
  const reference = read('docs/protocol.md');
  const headings = anchors(reference);

  it('is linked from the README', () => {
    expect(read('README.md')).toContain('](docs/protocol.md)');
  });

  it('has a section for every scope type and every event type of the protocol unions', () => {
    const { scopes, events } = protocolTypes();
    expect(scopes.sort()).toEqual(['http', 'lifespan', 'sse', 'websocket']);
    expect(events.length).toBeGreaterThanOrEqual(26);
    for (const scope of scopes) expect(reference, `scope ${scope}`).toMatch(new RegExp(`^## Scope \`${scope}\`$`, 'm'));
    // Extension events added later belong here too: one heading each, named exactly.
    for (const event of events) expect(reference, event).toMatch(new RegExp(`^#{3,4} \`${event.replaceAll('.', '\\.')}\`$`, 'm'));
  });

  it('documents every export of the protocol types, each pointing to a section that exists', () => {
    const text = read('src/protocol/types.ts');
    const exported = [...text.matchAll(/^export (?:type|interface|function) (\w+)/gm)].map((m) => m[1]!);
    expect(exported.length).toBeGreaterThan(50);
    for (const name of exported) {
      const at = text.search(new RegExp(`^export (?:type|interface|function) ${name}\\b`, 'm'));
      expect(text.slice(0, at).trimEnd().endsWith('*/'), `${name} has TSDoc`).toBe(true);
    }
    const links = [...text.matchAll(/docs\/protocol\.md#([\w-]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(40);
    for (const link of links) expect(headings, `docs/protocol.md#${link}`).toContain(link);
  });

  it('links only to its own sections and to files that exist', () => {
    for (const [, target] of reference.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target!.startsWith('#')) expect(headings, target).toContain(target!.slice(1));
      else if (!/^[a-z]+:/.test(target!)) expect(existsSync(join(repoRoot, 'docs', target!.split('#')[0]!)), target).toBe(true);
    }
  });

  it('shows how to reach an SSE scope with curl, as do the README and the hybrid example', () => {
    for (const doc of ['docs/protocol.md', 'README.md', 'examples/hybrid/README.md']) {
      expect(read(doc), doc).toMatch(/curl -N -H 'Accept: text\/event-stream' http:\/\/127\.0\.0\.1:3000\/live\/events/);
    }
  });
});
