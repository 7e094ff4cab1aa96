// Types for scripts/generate-sdk.mjs, imported by the SDK drift test (libs/sdk/src/schema.spec.ts).
export declare const OPENAPI_DOCUMENT: string;
export declare const SDK_SCHEMA: string;
export declare function generateSdkSchema(documentPath?: string): Promise<string>;
