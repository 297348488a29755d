export { ModelportError, isModelportError, HTTP_STATUS, type ErrorKind } from './modelport-error';
