/** The tool name and version the attestation records. */
import pkg from '../../package.json';

export const TOOL = { name: 'segqc-labelstudio', version: (pkg as { version: string }).version } as const;
