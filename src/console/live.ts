import { useEffect, useState } from 'preact/hooks';

/** Events the server pushes on /v1/events. */
export type LiveEvent = 'node.online' | 'node.offline' | 'session.opened' | 'session.closed';
type Handler = (event: LiveEvent, data: unknown) => void;

const handlers = new Set<Handler>();
const stateListeners = new Set<(connected: boolean) => void>();
let source: EventSource | undefined;
let connected = false;

function setConnected(v: boolean): void {
  connected = v;
  for (const l of stateListeners) l(v);
}

/** Opens the one event stream of this page (EventSource reconnects by itself). */
export function startLive(): void {
  if (source) return;
  source = new EventSource('/v1/events');
  source.addEventListener('ready', () => setConnected(true));
  source.addEventListener('error', () => setConnected(false));
  for (const name of ['node.online', 'node.offline', 'session.opened', 'session.closed'] as const) {
    source.addEventListener(name, (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as unknown;
      for (const h of handlers) h(name, data);
    });
  }
}

/** Closes the stream (sign-out). */
export function stopLive(): void {
  source?.close();
  source = undefined;
  setConnected(false);
}

/** Calls `handler` for every live event while the component is mounted. */
export function useLive(handler: Handler): void {
  useEffect(() => {
    handlers.add(handler);
    return () => {
      handlers.delete(handler);
    };
  }, [handler]);
}

/** Whether live updates are flowing. */
export function useLiveConnected(): boolean {
  const [v, setV] = useState(connected);
  useEffect(() => {
    stateListeners.add(setV);
    return () => {
      stateListeners.delete(setV);
    };
  }, []);
  return v;
}
