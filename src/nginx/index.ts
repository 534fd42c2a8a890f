export * from './nginx-conf';
export * from './connections-probe';
export * from './cut-over';
export * from './graceful-nginx';
