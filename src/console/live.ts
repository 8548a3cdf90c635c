import { useEffect, useState } from 'preact/hooks';
import type { ApprovalNotice } from '../shared/approvalProtocol.js';

/** Events the server pushes on /v1/events. */
export type LiveEvent = 'node.online' | 'node.offline' | 'session.opened' | 'session.closed' | 'approval.waiting' | 'approval.decided' | 'approval.withdrawn';
const EVENTS: readonly LiveEvent[] = ['node.online', 'node.offline', 'session.opened', 'session.closed', 'approval.waiting', 'approval.decided', 'approval.withdrawn'];
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
/** Requests for approval on site waiting now, as the stream told (it tells what waits on each connect). */
const waitingApprovals = new Map<string, ApprovalNotice>();
const approvalListeners = new Set<() => void>();

function approvalsChanged(): void {
  for (const l of approvalListeners) l();
}

function trackApproval(event: LiveEvent, notice: ApprovalNotice): void {
  if (event === 'approval.waiting') waitingApprovals.set(notice.id, notice);
  else if (event === 'approval.decided' || event === 'approval.withdrawn') waitingApprovals.delete(notice.id);
  else return;
  approvalsChanged();
}

function setConnected(v: boolean): void {
  connected = v;
  for (const l of stateListeners) l(v);
}

/** Opens the one event stream of this page (EventSource reconnects by itself). */
export function startLive(): void {
  if (source) return;
  source = new EventSource('/v1/events');
  source.addEventListener('ready', () => {
    // The server follows `ready` with what waits now: forget what an earlier connection said.
    waitingApprovals.clear();
    approvalsChanged();
    setConnected(true);
  });
  source.addEventListener('error', () => setConnected(false));
  // The server ends the stream when the user's authority ends; EventSource would only
  // reconnect into a 401 and give up without a word, so the console acts on it here.
  source.addEventListener('end', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as Partial<LiveEnd>;
    stopLive();
    onEnded?.({ code: data.code === 'FORBIDDEN' ? 'FORBIDDEN' : 'UNAUTHENTICATED', message: data.message ?? 'Live updates ended.' });
  });
  for (const name of EVENTS) {
    source.addEventListener(name, (e) => {
      const data = JSON.parse((e as MessageEvent<string>).data) as unknown;
      if (name.startsWith('approval.')) trackApproval(name, data as ApprovalNotice);
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
  waitingApprovals.clear();
  approvalsChanged();
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

/** The requests waiting for approval on the site of node `nodeId`, oldest first, kept current while mounted. */
export function useWaitingApprovals(nodeId: string): ApprovalNotice[] {
  const pick = () => [...waitingApprovals.values()].filter((n) => n.nodeId === nodeId);
  const [list, setList] = useState(pick);
  useEffect(() => {
    const l = () => setList(pick());
    approvalListeners.add(l);
    l();
    return () => {
      approvalListeners.delete(l);
    };
    // pick reads only nodeId and the module's map.
  }, [nodeId]);
  return list;
}
