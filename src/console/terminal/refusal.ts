import { api, errorText } from '../api.js';
import type { Node } from '../types.js';

/**
 * Says in words why a terminal could not open. The browser's WebSocket hides the server's
 * HTTP refusal, so the console asks about the node instead: gone, not approved, offline,
 * shell switched off, or (when the node looks fine) the caller's role or sign-in.
 */
export async function explainRefusal(nodeId: string): Promise<string> {
  let n: Node;
  try {
    n = await api<Node>('GET', `/v1/nodes/${encodeURIComponent(nodeId)}`);
  } catch (err) {
    return `The terminal could not open: ${errorText(err)}`;
  }
  if (n.status !== 'approved') return `${n.name} is ${n.status}; only an approved node offers a terminal.`;
  if (!n.online) return `${n.name} is offline, so its shell cannot be reached. Try again once it connects.`;
  if (!n.services.includes('shell')) return `The shell is turned off on ${n.name} (its operator can run "burrow node shell on").`;
  return `The server refused a terminal on ${n.name}: a terminal needs the operator role on its group and a current sign-in. Reload the page if you signed in elsewhere.`;
}
