export { ConfigKeychainError, type ConfigKeychainErrorCode } from './errors.js';
