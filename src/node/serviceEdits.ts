import type { NodeConfig } from '../shared/config.js';
import type { ServiceChange } from '../shared/protocol.js';
import { parseServiceTarget } from '../shared/serviceTarget.js';

/** The part of node.json a service edit changes. */
export type ServiceSettings = Pick<NodeConfig, 'services' | 'allowedTargets'>;

/** The address a target reaches (host and port); scheme and type do not widen what is reachable. */
function addressOf(target: string): string | undefined {
  const t = parseServiceTarget(target);
  return t && `${t.host.toLowerCase()}:${t.port}`;
}

/** Whether the server may point a service at `target`: it is exposed now, or the operator declared it. */
export function serverMayUse(s: ServiceSettings, target: string): boolean {
  const want = addressOf(target);
  if (want === undefined) return false;
  return [...Object.values(s.services), ...s.allowedTargets].some((t) => addressOf(t) === want);
}

/**
 * Applies a change the server pushed, all or nothing. The server may remove any service
 * (that only narrows what is exposed) but may set a service only to a target this node's
 * operator exposed or declared: a compromised administrator account must not turn every
 * node into a proxy into its LAN.
 */
export function applyServerChange(s: ServiceSettings, change: ServiceChange): { ok: true; settings: ServiceSettings } | { ok: false; refused: string } {
  for (const [name, target] of Object.entries(change.set)) {
    if (!parseServiceTarget(target)) return { ok: false, refused: `the target of ${name} is not a service target` };
    if (!serverMayUse(s, target)) return { ok: false, refused: `${target} is not a target this node's operator allowed (burrow node service allow TARGET on the node)` };
  }
  const services = { ...s.services };
  for (const name of change.remove) delete services[name];
  Object.assign(services, change.set);
  return { ok: true, settings: { services, allowedTargets: s.allowedTargets } };
}

/** The operator adds (or replaces) a service: exposed now, and declared for the server to use. */
export function addService(s: ServiceSettings, name: string, target: string): ServiceSettings {
  return { services: { ...s.services, [name]: target }, allowedTargets: declare(s.allowedTargets, target) };
}

/** The operator declares a target the server may point a service at, without exposing it now. */
export function allowTarget(s: ServiceSettings, target: string): ServiceSettings {
  return { services: s.services, allowedTargets: declare(s.allowedTargets, target) };
}

/** The operator removes a service: no longer exposed, and its target no longer declared unless another service uses it. */
export function removeService(s: ServiceSettings, name: string): ServiceSettings {
  const gone = s.services[name];
  const services = { ...s.services };
  delete services[name];
  const still = new Set(Object.values(services).map(addressOf));
  const allowedTargets = gone === undefined ? s.allowedTargets : s.allowedTargets.filter((t) => addressOf(t) !== addressOf(gone) || still.has(addressOf(t)));
  return { services, allowedTargets };
}

function declare(list: readonly string[], target: string): string[] {
  return list.some((t) => addressOf(t) === addressOf(target)) ? [...list] : [...list, target];
}
