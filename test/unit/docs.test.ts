/**
 * The documentation's own tests: every export of the package's types is documented in docs/, and
 * every snippet marked as a program in README.md and docs/*.md runs. A program is a fenced block
 * whose info string is `js run` (an ES module) or `js run commonjs` (a CommonJS script); it is run
 * as a file of its own inside the package, where 'private-process' resolves to the package itself,
 * as it does for its users, and must exit 0 within a bounded wait, leaving nothing running.
 *
 * Every JavaScript block is one of those, so that no fragment that nothing runs creeps in: the only
 * other kind is `js config` (or `js config commonjs`), a configuration file that is not a program (a
 * bundler's, say), which Node only checks for syntax. Blocks in other languages (`ts`, `sh`,
 * `text`) are left alone.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parseProcStat } from '../helpers/leaks.js';
import { scaled } from '../helpers/time.mjs';

const root = path.join(__dirname, '..', '..');
const docsDir = path.join(root, 'docs');
/** The documents: the README, then every docs/*.md, whoever added it. */
const documents = [
  'README.md',
  ...readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const read = (doc: string): string => readFileSync(path.join(root, doc), 'utf8');

interface Program {
  doc: string;
  line: number;
  commonjs: boolean;
  code: string;
}

/** programs lists the blocks of a document marked as programs, with the line each starts on. */
function programs(doc: string): Program[] {
  const text = read(doc);
  return [...text.matchAll(/^```js run( commonjs)?\n([\s\S]*?)^```$/gm)].map((m) => ({
    doc,
    line: text.slice(0, m.index).split('\n').length,
    commonjs: m[1] !== undefined,
    code: m[2]!,
  }));
}

const all = documents.flatMap(programs);

/** A fenced block's opening line: where it is, and its info string (`js run`, `sh`, ...). */
interface Fence {
  doc: string;
  line: number;
  info: string;
}

/** fences lists the blocks of a document, by their opening lines, indented ones (in a list) too. */
function fences(doc: string): Fence[] {
  const found: Fence[] = [];
  let open = false;
  read(doc)
    .split('\n')
    .forEach((text, i) => {
      const fence = /^\s*```(.*)$/.exec(text);
      if (fence === null) return;
      if (!open) found.push({ doc, line: i + 1, info: fence[1]!.trim() });
      open = !open;
    });
  return found;
}

const javascript = /^(js|javascript|mjs|cjs)\b/;
/**
 * Under the sanitizer run (scripts/test-sanitize.sh) the runtime is handed on to every Node child,
 * whether child_process or the package starts it (scripts/sanitize-preload.cjs), so the programs
 * that start themselves again (fork or forkPrivate of their own file) run there too.
 */
const runnable = all;
/** The configuration files among the blocks: checked for syntax only. */
const configs = documents.flatMap(fences).filter((f) => /^js config( commonjs)?$/.test(f.info));
const dir = path.join(root, 'build', 'docs-programs');
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The processes of process group `pgid`, read from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const pgrp = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[2]);
    if (pgrp === pgid && parseProcStat(text).state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/**
 * runProgram runs a program's file with Node in a session of its own, killed if it outlives the
 * deadline, and then kills, by pid, whatever it left running in its process group, which it returns.
 */
async function runProgram(
  file: string,
): Promise<{ code: number | string; stdout: string; stderr: string; left: number[] }> {
  // spawn, not execFile, which does not pass `detached` on.
  const child = spawn(process.execPath, [file], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const deadline = setTimeout(() => child.kill('SIGKILL'), scaled(30_000));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: string) => (stdout += d));
  child.stderr.on('data', (d: string) => (stderr += d));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const code = await new Promise<number | string>((resolve) =>
    child.on('exit', (c: number | null, signal: string | null) => resolve(c ?? signal ?? 'unknown')),
  );
  clearTimeout(deadline);
  // What it left in its group may hold its pipes open: kill it before waiting for them to close.
  const left = process.platform === 'linux' ? groupMembers(child.pid!) : [];
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  await closed;
  return { code, stdout, stderr, left };
}

describe('the programs in the documents', () => {
  it('are found: the README has some, and every one is marked js run or js run commonjs', () => {
    expect(programs('README.md').length).toBeGreaterThan(0);
    const runs = documents.flatMap(fences).filter((f) => /^js run/.test(f.info));
    expect(runs.map((f) => `${f.doc}:${f.line}`)).toEqual(all.map((p) => `${p.doc}:${p.line}`));
  });

  it('are every JavaScript block there is, but for configuration files marked js config', () => {
    const fragments = documents
      .flatMap(fences)
      .filter((f) => javascript.test(f.info) && !/^js (run|config)( commonjs)?$/.test(f.info))
      .map((f) => `${f.doc}:${f.line} \`\`\`${f.info}`);
    expect(fragments).toEqual([]);
  });

  it.each(configs.map((f) => [`${f.doc}:${f.line}`, f] as const))(
    '%s, a configuration file, is JavaScript that Node can parse',
    async (name, f) => {
      const code = read(f.doc)
        .split('\n')
        .slice(f.line)
        .join('\n')
        .replace(/^```$[\s\S]*/m, '');
      const file = path.join(dir, `${name.replace(/[^\w]+/g, '-')}.${f.info.endsWith('commonjs') ? 'cjs' : 'mjs'}`);
      writeFileSync(file, code);
      await promisify(execFile)(process.execPath, ['--check', file], { timeout: scaled(20_000) });
    },
  );

  it.each(runnable.map((p) => [`${p.doc}:${p.line}`, p] as const))(
    '%s runs to exit 0, leaving nothing running',
    async (name, p) => {
      const file = path.join(dir, `${name.replace(/[^\w]+/g, '-')}.${p.commonjs ? 'cjs' : 'mjs'}`);
      writeFileSync(file, p.code);
      const r = await runProgram(file);
      expect({ code: r.code, stderr: r.stderr, left: r.left }).toEqual({ code: 0, stderr: '', left: [] });
    },
  );

  it("the README's first program prints hello, then the status, every time", async () => {
    const first = programs('README.md')[0]!;
    const file = path.join(dir, 'first-example.mjs');
    writeFileSync(file, first.code);
    for (let i = 0; i < 5; i++) {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: dir, timeout: scaled(20_000) });
      expect(stdout).toMatch(/^hello\npid \d+ exit 3\n$/);
    }
  });
});

/** The declaration files of every entry point package.json's "exports" names, for import and require. */
function declarationFiles(): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, key: string): void => {
    if (typeof value === 'string' && key === 'types') found.add(path.join(root, value));
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) visit(v, k);
    }
  };
  visit(JSON.parse(read('package.json')).exports, '');
  return [...found];
}

/** The names each entry point's declarations export, read with the TypeScript compiler. */
function exportedNames(): Map<string, string[]> {
  const entries = declarationFiles();
  const program = ts.createProgram(entries, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const names = new Map<string, string[]>();
  for (const entry of entries) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    names.set(
      path.relative(root, entry),
      checker.getExportsOfModule(module).map((s) => s.name),
    );
  }
  return names;
}

/** Whether a name is documented: in a heading, or as code of its own (`name`, `name(...)`, `name<T>`, `name.x`). */
function documented(name: string, text: string): boolean {
  const word = name.replace(/[$]/g, '\\$');
  const heading = new RegExp(`^#+ .*\\b${word}\\b`, 'm');
  const code = new RegExp(`\`${word}(\`|[(<.\\[ ])`);
  return heading.test(text) || code.test(text);
}

describe('the reference in docs/', () => {
  it('reads the declarations of both entry points of the package, at least', () => {
    const files = declarationFiles().map((f) => path.relative(root, f));
    expect(files).toEqual(expect.arrayContaining(['dist/cjs/index.d.ts', 'esm/index.d.mts']));
  });

  const docsText = documents
    .filter((d) => d.startsWith('docs/'))
    .map(read)
    .join('\n');

  it.each([...exportedNames()])('documents every export of %s', (_, names) => {
    // The ESM entry point's default export is the module itself, documented as `import pp from`.
    const undocumented = names.filter((n) => n !== 'default' && !documented(n, docsText));
    expect(names.length).toBeGreaterThan(0);
    expect(undocumented).toEqual([]);
  });
});

/** The anchors GitHub gives a document's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchors(text: string): Set<string> {
  const slugs = new Set<string>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#+ (.*)$/.exec(line);
    if (heading) {
      slugs.add(
        heading[1]!
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/ /g, '-'),
      );
    }
  }
  return slugs;
}

describe('the links between the documents', () => {
  it.each(documents)('%s links only to files and headings that exist', (doc) => {
    const broken: string[] = [];
    for (const [, target] of read(doc).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [file, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = file === '' ? doc : path.join(path.dirname(doc), file);
      let text: string;
      try {
        text = read(resolved);
      } catch {
        broken.push(target!);
        continue;
      }
      if (anchor !== undefined && !anchors(text).has(anchor)) broken.push(target!);
    }
    expect(broken).toEqual([]);
  });
});
