export * from './secret';
export * from './registry';
export * from './confirmation';
export * from './offline-endpoint';
export * from './options';
export * from './registry-aware-service';
export * from './service-props';
