/** Injection token of the validated, defaulted module options. */
export const DATA_QUEUE_OPTIONS = Symbol('DATA_QUEUE_OPTIONS');

/** Injection token of the `BatchOperations` behind `Batch` handles (BatchService), for layers below batches. */
export const BATCH_OPERATIONS = Symbol('BATCH_OPERATIONS');
