import { describe, expect, it } from 'vitest';

// Every module's source, as text (Vite's glob import), keyed '../src/<path>'.
const sources = import.meta.glob(['../src/**/*.ts', '../src/**/*.tsx', '!../src/**/*.d.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

/** Static, type-only, re-exported and dynamic imports alike: a cycle through any of them is one to break. */
const IMPORT = /(?:import|export)\s[^'";]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function resolve(from: string, spec: string): string | null {
  const parts = from.split('/').slice(0, -1);
  for (const p of spec.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.') parts.push(p);
  }
  const base = parts.join('/');
  return [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`, base].find((c) => c in sources) ?? null;
}

function importGraph(files: Record<string, string>): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const [file, src] of Object.entries(files)) {
    const deps = [...src.matchAll(IMPORT)].map((m) => resolve(file, (m[1] ?? m[2])!)).filter((d): d is string => d !== null);
    graph.set(file, deps);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const dep of graph.get(node) ?? []) {
      if (state.get(dep) === 'open') found.push([...path.slice(path.indexOf(dep)), dep].join(' -> '));
      else if (!state.has(dep)) visit(dep);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('module imports', () => {
  it('finds the modules and their imports', () => {
    const graph = importGraph(sources);
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get('../src/app/Shell.tsx')).toContain('../src/app/screens.ts');
    expect(graph.get('../src/app/screens.ts')).toContain('../src/screens/CallList.tsx'); // a lazy import counts
  });

  it('sees a cycle when there is one', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(graph)).toEqual(['a -> b -> c -> a']);
  });

  it('has no cycle: the screen registry imports its screens, never the other way', () => {
    expect(cycles(importGraph(sources))).toEqual([]);
  });
});
