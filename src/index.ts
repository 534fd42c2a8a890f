export * from './plan';
export * from './script';
export * from './workload';
export * from './checks';
export * from './nginx';
export * from './istio';
export * from './envoy';
export * from './registry';
