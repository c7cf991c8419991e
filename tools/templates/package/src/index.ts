export { __PASCAL__Error, type __PASCAL__ErrorCode } from './errors.js';
