export * from './plan';
export * from './script';
export * from './workload';
