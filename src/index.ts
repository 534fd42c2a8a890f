export * from './plan';
export * from './script';
