// The bottom layer: value keys and the one derivation cache, validation, the placeholder grammar.
// Module-internal: nothing here is exported from the package. Imports nothing from the rest of src/.
export * from './error';
export * from './validation';
export * from './placeholders';
export * from './value-key';
export * from './duration-format';
