export { StorageError, type StorageErrorCode } from './errors.js';
