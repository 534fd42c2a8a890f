// The public API. The derivation (derive.ts), nginx.conf rendering, the probes and the start
// command are module-internal (tests import them from their files): jsii exposes classes, not
// free functions.
export * from './cut-over';
export * from './graceful-nginx';
export * from './props';
