/**
 * Types shared inside src/registry, not part of the public API.
 */
import { HttpHeader, HttpMethod, ShellWord } from '../script';
import { RegistryHeader, RegistrySecret } from './secret';
import { AuthCheck, PresenceCheck } from './shell-calls';

/** A call the script makes. @internal */
export interface RegistryCall {
  readonly method: HttpMethod;
  readonly url: ShellWord;
  readonly body?: ShellWord;
  readonly headers: HttpHeader[];
  readonly description: string;
  /** Whether the call needs the registry's token (got first, never sent without it). */
  readonly needsAuth?: boolean;
}

/** What a registry flavour renders into. @internal */
export interface RegistrySpec {
  /** The flavour's own offline call(s), when it has one (custom); else the removal is used. */
  readonly offline?: RegistryCall[];
  /** The force-remove call(s). */
  readonly removal: RegistryCall[];
  /** The per-IP config clean-up. */
  readonly clearConfig?: RegistryCall;
  /** Env vars filled from Secrets. */
  readonly secrets: SecretEnv[];
  /** Downward-API env vars the calls read: POD_IP, HOST_IP, POD_NAME. */
  readonly runtimeEnv: string[];
  /** Whether getting the token is a login (then it gets its own phase, first). */
  readonly login?: boolean;
  /** Who answers the presence check, for the log (`nacos`, `soa-admin`). */
  readonly checker?: string;
  /** Who answers the presence check and where, for the timeline. */
  readonly checkedAt?: string;
  /** The presence check. */
  presence(timeoutSeconds: number): PresenceCheck;
  /** How the script gets the registry's token (Nacos with auth). */
  auth?(timeoutSeconds: number): AuthCheck;
}

/** An environment variable filled from a Secret. @internal */
export interface SecretEnv {
  readonly name: string;
  readonly secret: RegistrySecret;
}

/** @internal */
export interface BoundHeader {
  readonly header: HttpHeader;
  readonly env?: SecretEnv;
}

/** Binds headers to env vars `${prefix}_1`, `${prefix}_2`, ... @internal */
export function bindHeaders(headers: RegistryHeader[] | undefined, prefix: string): { headers: HttpHeader[]; envs: SecretEnv[] } {
  const bound = (headers ?? []).map((h, i) => h._bind(`${prefix}_${i + 1}`));
  return { headers: bound.map(b => b.header), envs: bound.flatMap(b => (b.env ? [b.env] : [])) };
}
