/** The tool's version (package.json's), written into reports and attestations and printed by `segqc --version`. */
export { version as VERSION } from '../package.json';
