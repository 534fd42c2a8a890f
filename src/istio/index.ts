export * from './istio-version';
export * from './istio-drained-workload';
export * from './props';
