export * from './lexer';
export * from './analysis';
export * from './detectors';
