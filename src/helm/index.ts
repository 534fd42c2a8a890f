export * from './helm-chart';
