import { parseDuration } from '../../shared/duration.js';
import { BurrowError } from '../../shared/errors.js';
import { isInternalService } from '../../shared/internalServices.js';
import { parseLabel } from '../../shared/labelSelector.js';
import { serviceNameSchema, type ConnectModeSpec } from '../../shared/protocol.js';
import { parseServiceTarget } from '../../shared/serviceTarget.js';

/*
 * The syntax of the cells of a node CSV (import and export). Several values in one cell
 * are separated by `;`, so a cell never needs the CSV's own `,` (a window such as
 * "Sat,Sun 10:00-12:00" still may: the cell is then quoted, as every CSV tool does).
 */

const MAX_ENTRIES = 32;
const bad = (message: string) => new BurrowError('VALIDATION', message);
const parts = (cell: string) => cell.split(';').map((p) => p.trim()).filter((p) => p !== '');

/** Reads `web=http://127.0.0.1:80;ssh=tcp://127.0.0.1:22`: service name -> target (empty: none). */
export function readServicesCell(cell: string): Record<string, string> {
  const services: Record<string, string> = {};
  for (const spec of parts(cell)) {
    const at = spec.indexOf('=');
    const name = at < 0 ? spec : spec.slice(0, at).trim();
    const target = at < 0 ? '' : spec.slice(at + 1).trim();
    if (at < 0) throw bad(`bad service "${spec}": write name=target, e.g. web=http://127.0.0.1:80`);
    if (!serviceNameSchema.safeParse(name).success) throw bad(`bad service "${spec}": a service name is 1-32 of a-z, 0-9 and -, starting with a letter`);
    if (isInternalService(name)) throw bad(`bad service "${spec}": ${name} is burrow's own service on every node; name yours otherwise`);
    if (!parseServiceTarget(target)) throw bad(`bad service "${spec}": the target is not host:port, http(s)://host:port or tcp://host:port`);
    if (services[name] !== undefined) throw bad(`bad service "${spec}": service ${name} is named twice`);
    services[name] = target;
  }
  if (Object.keys(services).length > MAX_ENTRIES) throw bad(`bad services: at most ${MAX_ENTRIES} services per node`);
  return services;
}

/** Writes services as the services cell reads them. */
export function writeServicesCell(services: Record<string, string>): string {
  return Object.entries(services).map(([name, target]) => `${name}=${target}`).join(';');
}

/** Reads `k=v;k2=v2` (empty: no labels). */
export function readLabelsCell(cell: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const spec of parts(cell)) {
    let pair: [string, string];
    try {
      pair = parseLabel(spec);
    } catch {
      throw bad(`bad label "${spec}": write key=value, a key of letters, digits and . _ / -, a value of letters, digits and . _ : / @ -`);
    }
    if (labels[pair[0]] !== undefined) throw bad(`bad label "${spec}": label ${pair[0]} is given twice`);
    labels[pair[0]] = pair[1];
  }
  if (Object.keys(labels).length > MAX_ENTRIES) throw bad(`bad labels: at most ${MAX_ENTRIES} labels per node`);
  return labels;
}

/** Writes labels as the labels cell reads them. */
export function writeLabelsCell(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(';');
}

/** "Mon-Fri 09:00-18:00", "Sat,Sun 22:00-02:00", "daily 00:00-24:00": the agent's window grammar, checked in shape. */
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*';
const DAYS = new RegExp(`^(?:daily|\\*|every day|${DAY}(?:\\s*-\\s*${DAY})?(?:\\s*,\\s*${DAY}(?:\\s*-\\s*${DAY})?)*)$`, 'i');
const TIME = /^(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$/;
const WINDOW = /^(.+?)\s+(\d{1,2}:\d{2}(?::\d{2})?)\s*-\s*(\d{1,2}:\d{2}(?::\d{2})?)$/;

function checkWindow(spec: string): void {
  const m = WINDOW.exec(spec);
  const ok = m && DAYS.test((m[1] as string).trim()) && TIME.test(m[2] as string) && (TIME.test(m[3] as string) || /^24:00(?::00)?$/.test(m[3] as string)) && m[2] !== m[3];
  if (!ok) throw bad(`bad mode: window "${spec}" is not DAYS START-END, e.g. Mon-Fri 09:00-18:00`);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the mode cell: empty or `always-on`, or
 * `on-demand;window=Mon-Fri 09:00-18:00;tz=Europe/Paris;interval=30m;duration=5m`
 * (window repeatable and required; tz defaults to UTC, interval to 30m, duration to 5m).
 */
export function readModeCell(cell: string): ConnectModeSpec {
  const [head, ...rest] = parts(cell);
  if (head === undefined || head === 'always-on') {
    if (rest.length > 0) throw bad('bad mode: always-on takes no settings');
    return { mode: 'always-on' };
  }
  if (head !== 'on-demand') throw bad(`bad mode "${head}": write always-on, or on-demand;window=Mon-Fri 09:00-18:00;tz=Europe/Paris`);
  const windows: string[] = [];
  const settings: Record<string, string> = { tz: 'UTC', interval: '30m', duration: '5m' };
  for (const spec of rest) {
    const at = spec.indexOf('=');
    const key = at < 0 ? spec : spec.slice(0, at).trim();
    const value = at < 0 ? '' : spec.slice(at + 1).trim();
    if (key === 'window') {
      checkWindow(value);
      windows.push(value);
    } else if (key === 'tz' || key === 'interval' || key === 'duration') settings[key] = value;
    else throw bad(`bad mode: "${spec}" is none of window=, tz=, interval=, duration=`);
  }
  if (windows.length === 0) throw bad('bad mode: on-demand needs at least one window=DAYS START-END');
  if (windows.length > MAX_ENTRIES) throw bad(`bad mode: at most ${MAX_ENTRIES} windows`);
  const tz = settings.tz as string;
  if (!isTimeZone(tz)) throw bad(`bad mode: "${tz}" is not an IANA time zone (e.g. Europe/Paris)`);
  const ms = (key: 'interval' | 'duration') => {
    let value: number;
    try {
      value = parseDuration(settings[key] as string);
    } catch {
      value = 0;
    }
    if (value <= 0) throw bad(`bad mode: ${key} "${settings[key] ?? ''}" is not a duration such as 30m`);
    return value;
  };
  return { mode: 'on-demand', schedule: { windows, timeZone: tz, intervalMs: ms('interval'), durationMs: ms('duration') } };
}

/** Writes a mode as the mode cell reads it; an on-demand mode of unknown schedule is `on-demand` alone. */
export function writeModeCell(mode: ConnectModeSpec | { mode: 'on-demand'; schedule?: undefined }): string {
  if (mode.mode === 'always-on') return 'always-on';
  if (!mode.schedule) return 'on-demand';
  const s = mode.schedule;
  const duration = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`);
  return ['on-demand', ...s.windows.map((w) => `window=${w}`), `tz=${s.timeZone}`, `interval=${duration(s.intervalMs)}`, `duration=${duration(s.durationMs)}`].join(';');
}
