export { AbiStructError, type AbiStructErrorCode } from './errors.js';
