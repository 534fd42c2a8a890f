export * from './stats';
export * from './probe';
export * from './gateway';
export * from './props';
