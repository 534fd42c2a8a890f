export * from './model';
export * from './rule-pack';
