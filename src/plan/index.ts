export * from './shutdown-phase';
export * from './shutdown-plan';
