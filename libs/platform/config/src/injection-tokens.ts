/**
 * Nest injection tokens for the platform's ports, in one place so that every
 * context wires the same instances (the server provides them).
 */
export const MODELPORT_CONFIG = 'modelport:config';
export const ARTIFACT_STORE = 'modelport:artifact-store';
export const JOB_QUEUE = 'modelport:job-queue';
export const LOGGER = 'modelport:logger';
