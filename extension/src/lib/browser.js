// Firefox exposes promise-based `browser.*`; Chrome MV3 exposes `chrome.*`, whose methods also
// return promises when called without a callback. Every module takes the API from here so tests
// can hand in a fake and nothing else has to know which browser it runs in.
export const ext = globalThis.browser ?? globalThis.chrome;
