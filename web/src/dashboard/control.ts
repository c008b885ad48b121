/** Run a control command on a channel the page joined; rejects with the hub's words. */
export type Control = (topic: string, event: string, payload?: object) => Promise<unknown>;
