/** The tool's version, written into reports and attestations. */
export const VERSION = '0.1.0';
