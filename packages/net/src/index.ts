export { NetError, type NetErrorCode } from './errors.js';
