import { useEffect, useState } from 'preact/hooks';

/** Events the server pushes on /v1/events. */
export type LiveEvent = 'node.online' | 'node.offline' | 'session.opened' | 'session.closed';
type Handler = (event: LiveEvent, data: unknown) => void;

/** Why the server ended the stream: the user's authority ended or narrowed (see the server's authorityEndNotice). */
export interface LiveEnd {
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  message: string;
}

const handlers = new Set<Handler>();
let onEnded: ((end: LiveEnd) => void) | undefined;
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
  // The server ends the stream when the user's authority ends; EventSource would only
  // reconnect into a 401 and give up without a word, so the console acts on it here.
  source.addEventListener('end', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as Partial<LiveEnd>;
    stopLive();
    onEnded?.({ code: data.code === 'FORBIDDEN' ? 'FORBIDDEN' : 'UNAUTHENTICATED', message: data.message ?? 'Live updates ended.' });
  });
  for (const name of ['node.online', 'node.offline', 'session.opened', 'session.closed'] as const) {
    source.addEventListener(name, (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as unknown;
      for (const h of handlers) h(name, data);
    });
  }
}

/** Sets what happens when the server ends the stream (the console shows why). */
export function setLiveEndedHandler(h: (end: LiveEnd) => void): void {
  onEnded = h;
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
