import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

/** The HAProxy configuration template README's "Running several instances" shows, as shipped. */
export const CLUSTER_TEMPLATE = join(repoRoot, 'packaging', 'haproxy', 'burrow-cluster.cfg');

/** One burrow instance as HAProxy sees it. */
export interface HaproxyInstance {
  name: string;
  /** Its `listen` host and `sessionHost`. */
  address: string;
  /** Its `listen` port. */
  port: number;
  /** Its `sessionPorts`, inclusive. */
  sessionPorts: readonly [number, number];
}

/** What the template's placeholders are filled with. */
export interface ClusterLayout {
  front: string;
  frontPort: number;
  source: string;
  maxconn: number;
  statsSocket: string;
  instances: readonly HaproxyInstance[];
}

const BLOCK_START = '#{{each instance}}';
const BLOCK_END = '#{{end}}';

function fill(line: string, values: Record<string, string>): string {
  return line.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    const v = values[key];
    if (v === undefined) throw new Error(`${CLUSTER_TEMPLATE}: no value for ${whole}`);
    return v;
  });
}

/**
 * packaging/haproxy/burrow-cluster.cfg filled in for `layout`, from its `global` line on:
 * each block between "#{{each instance}}" and "#{{end}}" once per instance, comment lines as they are.
 */
export function renderClusterConfig(layout: ClusterLayout, template = readFileSync(CLUSTER_TEMPLATE, 'utf8')): string {
  const common = { front: layout.front, frontPort: String(layout.frontPort), source: layout.source, maxconn: String(layout.maxconn), statsSocket: layout.statsSocket };
  const out: string[] = [];
  let block: string[] | undefined;
  const render = (line: string, values: Record<string, string>) => (line.trimStart().startsWith('#') ? line : fill(line, values));
  // The template's own header (how to fill it in) is not part of a filled-in configuration.
  const lines = template.split('\n');
  for (const line of lines.slice(Math.max(0, lines.indexOf('global')))) {
    if (line.trim() === BLOCK_START) {
      block = [];
    } else if (line.trim() === BLOCK_END) {
      for (const i of layout.instances) {
        const values = { ...common, name: i.name, address: i.address, port: String(i.port), sessionFrom: String(i.sessionPorts[0]), sessionTo: String(i.sessionPorts[1]) };
        out.push(...(block ?? []).map((l) => render(l, values)));
      }
      block = undefined;
    } else if (block) {
      block.push(line);
    } else {
      out.push(render(line, common));
    }
  }
  return out.join('\n');
}
