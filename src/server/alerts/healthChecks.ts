import type { AlertRuleSpec } from '../../shared/alerts.js';
import type { NodeStatusReport } from '../../shared/protocol.js';

/** One condition a health rule judged from a report: its subject part, whether it is bad, and what to say. */
export interface HealthFinding {
  /** Appended to the node id in the alert key (a service rule has one key per service). */
  part: string;
  bad: boolean;
  summary: string;
  detail: Record<string, unknown>;
}

const percentUsed = (total: number, free: number) => (total > 0 ? Math.round(((total - free) / total) * 1000) / 10 : 0);

/** Judges one status report against one health rule; rules of other kinds find nothing. */
export function healthFindings(spec: AlertRuleSpec, report: NodeStatusReport, nodeName: string): HealthFinding[] {
  switch (spec.kind) {
    case 'health.disk': {
      if (!report.disk) return [];
      const used = percentUsed(report.disk.totalBytes, report.disk.freeBytes);
      return [{ part: '', bad: used > spec.percent, summary: `Disk ${report.disk.path} on ${nodeName} is ${used}% full (threshold ${spec.percent}%)`, detail: { path: report.disk.path, usedPercent: used, threshold: spec.percent } }];
    }
    case 'health.memory': {
      const used = percentUsed(report.memory.totalBytes, report.memory.freeBytes);
      return [{ part: '', bad: used > spec.percent, summary: `Memory on ${nodeName} is ${used}% used (threshold ${spec.percent}%)`, detail: { usedPercent: used, threshold: spec.percent } }];
    }
    case 'health.load': {
      const load = report.load[0];
      if (load === undefined) return [];
      return [{ part: '', bad: load > spec.above, summary: `Load on ${nodeName} is ${load} (threshold ${spec.above})`, detail: { load1: load, threshold: spec.above } }];
    }
    case 'health.service':
      return Object.entries(report.services)
        .filter(([name]) => spec.service === undefined || spec.service === name)
        .map(([name, s]) => ({ part: `:${name}`, bad: !s.reachable, summary: `Service ${name} on ${nodeName} is unreachable${s.error ? `: ${s.error}` : ''}`, detail: { service: name, ...(s.error ? { error: s.error } : {}) } }));
    default:
      return [];
  }
}
