export * from './shell';
export * from './http';
export * from './probe';
export * from './step';
export * from './posix-script';
