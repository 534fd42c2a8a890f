export * from './model';
export * from './rule-pack';
export * from './validation';
