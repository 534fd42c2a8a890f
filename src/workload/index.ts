export * from './kubernetes-version';
export * from './prestop-hook';
export * from './graceful-workload';
