/*
 * The services an agent serves itself. They ride the tunnel as services do, but they speak
 * burrow's own protocols (an SSH server that admits only the burrow server; job frames),
 * so they are never session targets. Free of imports so the console can share it.
 */

/** The built-in service that carries the node's shell (an SSH server inside the channel). */
export const SHELL_SERVICE = 'shell';
/** The built-in service that carries jobs (one job per channel). */
export const JOBS_SERVICE = 'jobs';
/** The built-in service that serves file pulls and support bundles (see fileProtocol.ts). */
export const FILES_SERVICE = 'files';
/** Service names the agent serves itself; a configured service may not take them. */
export const BUILTIN_SERVICES: readonly string[] = [SHELL_SERVICE, JOBS_SERVICE, FILES_SERVICE];

/** Whether `service` is one of burrow's own services rather than one of the node's. */
export function isInternalService(service: string): boolean {
  return BUILTIN_SERVICES.includes(service);
}

/** Why `service` of node `nodeName` cannot be opened as a session, and what to use instead. */
export function internalServiceReason(service: string, nodeName: string): string {
  if (service === SHELL_SERVICE) {
    return `"shell" is burrow's own service for the shell of ${nodeName}, not a session target: use "burrow ssh ${nodeName}" or the Terminal on its page in the console.`;
  }
  if (service === JOBS_SERVICE) {
    return `"jobs" is burrow's own service that delivers jobs to ${nodeName}, not a session target: use "burrow admin job run --node ${nodeName} -- COMMAND" (or job push, job update).`;
  }
  if (service === FILES_SERVICE) {
    return `"files" is burrow's own service for pulling files from ${nodeName}, not a session target: use "burrow admin file get ${nodeName}:/path" or "burrow admin node bundle ${nodeName}".`;
  }
  return `"${service}" is one of burrow's own services on ${nodeName}, not a session target.`;
}
