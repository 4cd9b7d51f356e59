/** The small part of dcmjs that segqc uses: Part 10 parsing and naturalization (no adapters). */
declare module 'dcmjs' {
  interface DcmjsLogger {
    getLevel(): number;
    setLevel(level: number | 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent', persist?: boolean): void;
  }
  interface DcmjsRootLogger extends DcmjsLogger {
    getLogger(name: string): DcmjsLogger;
  }
  interface DicomDict {
    meta: Record<string, unknown>;
    dict: Record<string, unknown>;
  }
  interface DcmjsData {
    DicomMessage: {
      readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean; untilTag?: string | null; noCopy?: boolean }): DicomDict;
    };
    DicomMetaDictionary: {
      naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown>;
    };
  }
  export const data: DcmjsData;
  export const log: DcmjsRootLogger;
  const dcmjs: { data: DcmjsData; log: DcmjsRootLogger };
  export default dcmjs;
}
