/** Injection token of the validated metrics options. */
export const METRICS_OPTIONS = Symbol('DATA_QUEUE_METRICS_OPTIONS');
