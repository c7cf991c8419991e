export { InferenceStreamError, type InferenceStreamErrorCode } from './errors.js';
