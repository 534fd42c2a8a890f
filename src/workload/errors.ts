import { Construct } from 'constructs';

/**
 * Runs `fn`, re-throwing any error with the construct path in front, as aws-cdk does, so a
 * synthesis error says which workload it is about.
 */
export function withConstructPath<T>(scope: Construct, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith(`${scope.node.path}: `)) throw e;
    throw new Error(`${scope.node.path}: ${message}`);
  }
}

/** An error naming the construct path, the property, the value and the fix. */
export function propError(scope: Construct, property: string, value: unknown, fix: string): Error {
  return new Error(`${scope.node.path}: ${property} ${formatValue(value)} ${fix}`);
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value && typeof value === 'object' && 'toHumanString' in value) return (value as { toHumanString(): string }).toHumanString();
  return String(value);
}
