import { parse } from 'csv-parse/sync';
import { BurrowError } from '../../shared/errors.js';
import { nodeNameSchema, type ConnectModeSpec } from '../../shared/protocol.js';
import { readLabelsCell, readModeCell, readServicesCell } from './nodeCsvCells.js';

/** The columns an import reads, in the order an export writes them. */
export const IMPORT_COLUMNS = ['name', 'group', 'services', 'mode', 'labels'] as const;
/** Columns an export adds after them, for people to read; an import ignores them. */
export const READ_ONLY_COLUMNS = ['id', 'status', 'online', 'last_seen'] as const;
/** Most node lines one file may hold. */
export const MAX_IMPORT_LINES = 5000;

/** One good line of a node CSV. */
export interface NodeLine {
  /** Where the record starts in the file (1 is the header). */
  line: number;
  name: string;
  /** The group's path as written (`/site-a/line-1`), resolved against the tree later. */
  group: string;
  services: Record<string, string>;
  mode: ConnectModeSpec;
  labels: Record<string, string>;
}

/** Why one line of a file cannot be imported. */
export interface LineProblem {
  line: number;
  message: string;
}

/** A node CSV read: its good lines, and the problem of every other line. */
export interface NodeCsv {
  lines: NodeLine[];
  problems: LineProblem[];
}

interface Parsed {
  record: string[];
  info: { lines: number };
}

/** A group path: `/` (the root) or `/name/name…`. */
const GROUP_PATH = /^\/(?:[^/]+(?:\/[^/]+)*)?$/;

/**
 * Reads a node CSV (a header row, then one node per record) with csv-parse. Every line is
 * checked on its own, so every bad line is named with its line number and why; the
 * file-wide checks are a duplicate name and the header itself.
 */
export function readNodeCsv(text: string): NodeCsv {
  let records: Parsed[];
  try {
    records = parse(text, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as Parsed[];
  } catch (err) {
    const line = (err as { lines?: unknown }).lines;
    const why = err instanceof Error ? err.message.replace(/^[^:]*: /, '') : String(err);
    return { lines: [], problems: [{ line: typeof line === 'number' ? line : 1, message: `the file is not valid CSV: ${why}` }] };
  }
  const [header, ...rows] = records;
  if (!header) return { lines: [], problems: [{ line: 1, message: `the file is empty; it needs a header row: ${IMPORT_COLUMNS.join(',')}` }] };
  const columns = header.record.map((c) => c.toLowerCase());
  const known = new Set<string>([...IMPORT_COLUMNS, ...READ_ONLY_COLUMNS]);
  const unknown = columns.filter((c) => !known.has(c));
  const missing = IMPORT_COLUMNS.filter((c) => !columns.includes(c));
  const twice = columns.filter((c, i) => columns.indexOf(c) !== i);
  if (unknown.length > 0 || missing.length > 0 || twice.length > 0) {
    const what = [unknown.length ? `unknown column ${unknown.join(', ')}` : '', missing.length ? `missing column ${missing.join(', ')}` : '', twice.length ? `column ${twice.join(', ')} given twice` : ''].filter(Boolean).join('; ');
    return { lines: [], problems: [{ line: startLine(header), message: `bad header: ${what} (the columns are ${IMPORT_COLUMNS.join(',')})` }] };
  }
  if (rows.length > MAX_IMPORT_LINES) {
    return { lines: [], problems: [{ line: startLine(rows[MAX_IMPORT_LINES] as Parsed), message: `a file holds at most ${MAX_IMPORT_LINES} nodes; split it` }] };
  }
  const out: NodeCsv = { lines: [], problems: [] };
  const firstLineOf = new Map<string, number>();
  for (const row of rows) {
    const line = startLine(row);
    if (row.record.length !== columns.length) {
      out.problems.push({ line, message: `wrong column count: ${row.record.length} fields where the header has ${columns.length}` });
      continue;
    }
    const cell = (c: (typeof IMPORT_COLUMNS)[number]) => row.record[columns.indexOf(c)] ?? '';
    try {
      const node = readLine(line, cell);
      const first = firstLineOf.get(node.name);
      if (first !== undefined) throw new BurrowError('VALIDATION', `duplicate name ${node.name}: already on line ${first} of this file`);
      firstLineOf.set(node.name, line);
      out.lines.push(node);
    } catch (err) {
      out.problems.push({ line, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}

function readLine(line: number, cell: (c: (typeof IMPORT_COLUMNS)[number]) => string): NodeLine {
  const name = nodeNameSchema.safeParse(cell('name'));
  if (!name.success) throw new BurrowError('VALIDATION', `bad name "${cell('name')}": a node name is 1-64 letters, digits and . _ @ -`);
  const group = cell('group');
  if (!GROUP_PATH.test(group)) throw new BurrowError('VALIDATION', `bad group "${group}": write the group's path from the root, e.g. /site-a/line-1 (or / for the root)`);
  return { line, name: name.data, group, services: readServicesCell(cell('services')), mode: readModeCell(cell('mode')), labels: readLabelsCell(cell('labels')) };
}

/** The line a record starts on: csv-parse counts the line it ends on, and a quoted cell may span lines. */
function startLine(p: Parsed): number {
  const inner = p.record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0);
  return p.info.lines - inner;
}
