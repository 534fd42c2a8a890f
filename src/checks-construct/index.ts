export * from './graceful-shutdown-checks';
