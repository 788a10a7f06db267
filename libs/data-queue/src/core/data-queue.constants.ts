/** Injection token of the validated, defaulted module options. */
export const DATA_QUEUE_OPTIONS = Symbol('DATA_QUEUE_OPTIONS');
