export declare const packageRoot: string;
export declare const headerDirectory: string;
export declare const bridgeSource: string;
export declare const remoteChannelHeader: string;
export declare const sharedLibraryExtension: '.so' | '.dylib';
export declare function bridgeLibraryPath(): string;
export declare function cCompiler(): string;
export declare function compileSharedLibrary(sources: string[], output: string, extraArgs?: string[]): void;
export declare function ensureBridgeLibrary(): string;
