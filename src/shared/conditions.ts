import { z } from 'zod';

/** A condition's name: short, safe in URLs, logs and alert subjects. */
export const conditionNameSchema = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,47}$/, 'a condition name is 1-48 of a-z, 0-9, _ . and -, starting with a letter or digit');

/** An absolute path on the node without `..` segments (config.ts imports this module, so it is spelt here). */
const nodePathSchema = z
  .string()
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0'), 'expected an absolute path without ".." segments');

/** A JavaScript regular expression that compiles; long patterns are refused (they are run on every line). */
export const conditionPatternSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, 'the pattern is not a valid regular expression');

/** How a measured value is compared with the threshold. */
export const comparisonSchema = z.enum(['>', '>=', '<', '<=']);
export type Comparison = z.infer<typeof comparisonSchema>;

/** Whether `value op threshold` holds. */
export function compare(value: number, op: Comparison, threshold: number): boolean {
  if (op === '>') return value > threshold;
  if (op === '>=') return value >= threshold;
  if (op === '<') return value < threshold;
  return value <= threshold;
}

const interval = z.number().int().min(1_000).max(86_400_000);

/** Whether a firing rule makes an on-demand node connect outside its window (default: yes). */
const connect = z.boolean().default(true);

/** `count` or more lines matching `pattern` within `windowMs`, in a file followed like tail -F. */
export const logConditionSchema = z.strictObject({
  kind: z.literal('log'),
  name: conditionNameSchema,
  path: nodePathSchema,
  pattern: conditionPatternSchema,
  count: z.number().int().min(1).max(1_000_000).default(1),
  windowMs: z.number().int().min(1_000).max(7 * 86_400_000).default(300_000),
  everyMs: interval.default(5_000),
  connect,
});

/** A command (argv, no shell) run every `everyMs`: firing on a non-zero exit, or on the number it prints compared with `threshold`. */
export const commandConditionSchema = z
  .strictObject({
    kind: z.literal('command'),
    name: conditionNameSchema,
    argv: z.array(z.string().min(1).max(4096)).min(1).max(64),
    op: comparisonSchema.optional(),
    threshold: z.number().finite().optional(),
    timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    everyMs: interval.default(60_000),
    connect,
  })
  .refine((c) => (c.op === undefined) === (c.threshold === undefined), { message: 'a comparison needs both op and threshold', path: ['threshold'] })
  .refine((c) => c.argv[0]?.startsWith('/'), { message: 'the command is an absolute path (no shell, no PATH search)', path: ['argv'] });

/** The node's own figures a value rule may watch: percent of disk or memory in use, the 1-minute load. */
export const statusValueSchema = z.enum(['disk', 'memory', 'load']);
export type StatusValue = z.infer<typeof statusValueSchema>;

/** A number read from a file (times `scale`) or from the node's status, compared with `threshold`. */
export const valueConditionSchema = z.strictObject({
  kind: z.literal('value'),
  name: conditionNameSchema,
  source: z.union([z.strictObject({ file: nodePathSchema, scale: z.number().finite().default(1) }), z.strictObject({ status: statusValueSchema })]),
  op: comparisonSchema,
  threshold: z.number().finite(),
  everyMs: interval.default(60_000),
  connect,
});

/** One rule, of any kind. */
export const conditionRuleSchema = z.union([logConditionSchema, commandConditionSchema, valueConditionSchema]);
/** One rule as written (defaults may be missing). */
export type ConditionRuleInput = z.input<typeof conditionRuleSchema>;
/** One rule with its defaults filled in. */
export type ConditionRule = z.infer<typeof conditionRuleSchema>;

/** The rules one side may hold. */
export const conditionRulesSchema = z.array(conditionRuleSchema).max(32);

/** Who defined a rule: the node's operator (node.json) or an administrator (the server). */
export type ConditionOrigin = 'operator' | 'admin';

/**
 * A rule's state: `ok`, `firing`, `error` (it could not be evaluated: file missing, command
 * timed out) or `refused` (an administrator's rule the node does not accept).
 */
export const conditionStateSchema = z.strictObject({
  name: conditionNameSchema,
  origin: z.enum(['operator', 'admin']),
  kind: z.enum(['log', 'command', 'value']),
  state: z.enum(['ok', 'firing', 'error', 'refused']),
  /** The count (log) or value (command, value) that decided the state. */
  value: z.number().finite().nullable(),
  since: z.string().datetime(),
  detail: z.string().max(300),
});
export type ConditionState = z.infer<typeof conditionStateSchema>;

/** The states a node reports at once. */
export const conditionStatesSchema = z.array(conditionStateSchema).max(64);

/** GET /v1/nodes/:id/conditions: the rules administrators defined, the states the node reports, recent changes. */
export interface NodeConditionsView {
  nodeId: string;
  rules: { rule: ConditionRule; createdAt: string }[];
  states: (ConditionState & { reportedAt: string })[];
  history: { name: string; origin: ConditionOrigin; state: ConditionState['state']; value: number | null; detail: string; at: string }[];
}
