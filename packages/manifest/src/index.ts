export { ManifestError, type ManifestErrorCode } from './errors.js';
