import { Construct } from 'constructs';
import { ValidationError } from '../core';

/**
 * Runs `fn`, re-throwing any error with the construct path in front, as aws-cdk does, so a
 * synthesis error says which workload it is about. A `ValidationError` keeps its fields.
 */
export function withConstructPath<T>(scope: Construct, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ValidationError) throw e.inConstruct(scope.node.path);
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith(`${scope.node.path}: `)) throw e;
    throw new Error(`${scope.node.path}: ${message}`);
  }
}

/** An error naming the construct path, the property, the value and the fix. */
export function propError(scope: Construct, property: string, value: unknown, fix: string): Error {
  return new ValidationError(property, value, fix, scope.node.path);
}
