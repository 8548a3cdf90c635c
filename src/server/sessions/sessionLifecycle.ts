import type { TimerHandle } from '../../shared/clock.js';
import type { StateMachine } from '../../shared/stateMachine.js';
import type { SessionRecord } from '../store/sessionStore.js';
import type { SessionListener } from './sessionListener.js';
import type { TcpTickets } from './tcpProof.js';

/** A session's lifecycle. */
export type SessionState = 'opening' | 'open' | 'closing' | 'closed';
/** Its legal moves. */
export const sessionTransitions: Record<SessionState, SessionState[]> = {
  opening: ['open', 'closed'],
  open: ['closing'],
  closing: ['closed'],
  closed: [],
};

/** A session the manager holds: its record, its port's listener and its timers. */
export interface LiveSession {
  record: SessionRecord;
  /** The node's group, for the audit entries of the session. */
  groupId: string;
  listener?: SessionListener;
  /** The one-time tickets of a tcp session used through `burrow tcp` (none for http and bare tcp). */
  tickets?: TcpTickets;
  lifecycle: StateMachine<SessionState>;
  lastTouch: number;
  ttlTimer?: TimerHandle;
  idleTimer?: TimerHandle;
  graceTimer?: TimerHandle;
  /** Resolves once open() is done with the session, opened or not. */
  settled: Promise<void>;
  /** The approval on site every channel of the session opens under (on nodes that require one). */
  approval?: string;
  /** A close asked for while the session was still opening; open() honours it. */
  closeRequest?: { reason: string; actor: string };
}
