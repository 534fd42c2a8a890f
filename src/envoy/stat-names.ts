/**
 * Module-internal helpers for Envoy stat names and admin addresses (not part of the public API).
 * See stats.ts for the sources.
 */
import * as net from 'net';
import { checkPort } from '../core';

/**
 * The stat scope of a listener bound to `address:port`: Envoy's address string with `:` → `_`.
 * `0.0.0.0`, 8080 → `0.0.0.0_8080`; `::`, 2222 → `[__]_2222`.
 */
export function listenerStatScope(address: string, port: number, what = 'DrainTarget.listener'): string {
  assertPort(port, `${what}: port`);
  return `${canonicalAddress(address, `${what}: address`)}_${port}`.replace(/:/g, '_');
}

/**
 * An address as Envoy prints it: dotted IPv4, or IPv6 in brackets, compressed and lower-case
 * (`[::]`, `[fe80::1]`). Throws on anything that is not an IP address.
 */
export function canonicalAddress(address: string, what = 'listener address'): string {
  return canonicalize(address, what);
}

function canonicalize(address: string, what: string): string {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = net.isIP(bare);
  if (family === 4 && bare === address) {
    return bare.split('.').map(o => String(Number(o))).join('.');
  }
  if (family === 6) {
    if (bare.includes('.')) {
      throw new Error(`${what} '${address}' is an IPv4-mapped IPv6 address; write the listener's address as Envoy's config has it, e.g. '::' or '0.0.0.0'.`);
    }
    if (bare.includes('%')) {
      throw new Error(`${what} '${address}' has a zone index; Envoy listeners bind addresses without one.`);
    }
    // The WHATWG URL serializer compresses IPv6 as RFC 5952 (and inet_ntop) does.
    return new URL(`http://[${bare}]/`).hostname.toLowerCase();
  }
  throw new Error(`${what} '${address}' is not an IP address: use the listener's bind address as in its Envoy config, e.g. '0.0.0.0', '::' or '[::]'.`);
}

/** Escapes a stat scope for RE2 (the scope holds only [A-Za-z0-9_.\-\[\]] by construction). */
export function escapeRe2(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, c => `\\${c}`);
}

/** The admin address a script calls: loopback for a wildcard bind. */
export function adminCallHost(address: string): string {
  const c = canonicalAddressForAdmin(address);
  if (c === '0.0.0.0') return '127.0.0.1';
  if (c === '[::]') return '[::1]';
  return c;
}

/** Whether the kubelet (which calls the pod IP) can reach an admin bound to `address`. */
export function reachableFromKubelet(address: string): boolean {
  const c = canonicalAddressForAdmin(address);
  return c === '0.0.0.0' || c === '[::]';
}

function canonicalAddressForAdmin(address: string): string {
  try {
    return canonicalAddress(address);
  } catch {
    throw new Error(`adminAddress '${address}' is not an IP address: use the admin bind address from the bootstrap, e.g. '127.0.0.1' (Gloo's default) or '0.0.0.0'.`);
  }
}

export function assertPort(port: number, what: string): void {
  checkPort(port, what);
}

const STAT_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** Throws unless `prefix` is a plain stat prefix of a traffic listener; `what` names the property. */
export function assertStatPrefix(prefix: string, what: string): void {
  if (!STAT_PREFIX.test(prefix)) {
    throw new Error(`${what} '${prefix}' is not a plain stat prefix: use letters, digits, '_', '-' and inner '.', as Envoy sanitizes stat names (other characters would change the meaning of the /stats filter regex).`);
  }
  if (prefix === 'admin' || /^envoy_internal_/.test(prefix) || /(^|\.)(worker_[0-9]+|main_thread)(\.|$)/.test(prefix)) {
    throw new Error(`${what} '${prefix}' names the admin listener, an internal listener or a per-worker copy, which are never drained: use the stat_prefix of a traffic listener.`);
  }
}

