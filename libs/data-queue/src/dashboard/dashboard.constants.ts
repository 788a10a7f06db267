/** Injection token of the validated dashboard options. */
export const DASHBOARD_OPTIONS = Symbol('DATA_QUEUE_DASHBOARD_OPTIONS');
/** Injection token of the mount path (e.g. `queue`). */
export const DASHBOARD_MOUNT_PATH = Symbol('DATA_QUEUE_DASHBOARD_MOUNT_PATH');

export const CSRF_COOKIE = 'dataqueue_csrf';
export const CSRF_HEADER = 'x-dataqueue-csrf';
