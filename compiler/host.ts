/**
 * The TypeScript program, built the way tsc builds it: TypeScript's own compiler host
 * (`ts.createCompilerHost`), so every file gets the module format tsc gives it (package.json
 * `type`, `.mts`/`.cts`, the `module` option) — ts-morph's Project hands the program source
 * files created without one, which made every file CommonJS (TS1470 on `import.meta`;
 * ts-morph issue #1446). Parsed files are kept between builds and the previous program is
 * passed to the next, as `tsc --watch` does, so watch mode reparses only what changed.
 * Files can also live in memory (the generated server's declaration before it is written).
 */
import * as path from "node:path";
import { getLibFiles, libFolderInMemoryPath } from "@ts-morph/common";
import { ts } from "ts-morph";

/** The standard library declarations, from ts-morph's copy of TypeScript (it ships no lib folder on disk). */
let libTexts: Map<string, string> | undefined;
/** Parsed lib files, shared by every program of the process (they never change). */
const libFiles = new Map<string, ts.SourceFile>();

function libText(file: string): string | undefined {
  libTexts ??= new Map(getLibFiles().map((f) => [path.posix.join(libFolderInMemoryPath, f.fileName), f.text]));
  return libTexts.get(file);
}

export class ProgramHost {
  private readonly files = new Map<string, ts.SourceFile>();
  private readonly memory = new Map<string, string>();
  private program: ts.Program | undefined;

  /** A file only the program sees (absolute path). */
  setMemoryFile(file: string, text: string): void {
    this.memory.set(path.resolve(file), text);
    this.files.delete(path.resolve(file));
  }

  /** Files changed on disk: reparsed by the next build. */
  invalidate(changed: Iterable<string>): void {
    for (const f of changed) this.files.delete(path.resolve(f));
  }

  build(rootNames: readonly string[], options: ts.CompilerOptions, configDiagnostics?: readonly ts.Diagnostic[]): ts.Program {
    const host = this.compilerHost(options);
    this.program = ts.createProgram({
      rootNames,
      options,
      host,
      oldProgram: this.program,
      configFileParsingDiagnostics: configDiagnostics,
    });
    return this.program;
  }

  private compilerHost(options: ts.CompilerOptions): ts.CompilerHost {
    const host = ts.createCompilerHost(options, true);
    const read = host.readFile.bind(host);
    const exists = host.fileExists.bind(host);
    const inMemory = (file: string) => this.memory.get(path.resolve(file)) ?? libText(file);
    host.getDefaultLibLocation = () => libFolderInMemoryPath;
    host.getDefaultLibFileName = (o) => path.posix.join(libFolderInMemoryPath, ts.getDefaultLibFileName(o));
    host.readFile = (file) => inMemory(file) ?? read(file);
    host.fileExists = (file) => inMemory(file) !== undefined || exists(file);
    // Module resolution looks at a directory before its files: the in-memory files' count.
    const dirExists = host.directoryExists?.bind(host) ?? ts.sys.directoryExists;
    host.directoryExists = (dir) => {
      const d = path.resolve(dir);
      return [...this.memory.keys()].some((f) => f.startsWith(d + path.sep)) || d === libFolderInMemoryPath || dirExists(dir);
    };
    host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreateNewSourceFile) => {
      const lib = libText(fileName);
      const cache = lib !== undefined ? libFiles : this.files;
      const key = lib !== undefined ? fileName : path.resolve(fileName);
      const format = typeof languageVersionOrOptions === "object" ? languageVersionOrOptions.impliedNodeFormat : undefined;
      const hit = cache.get(key);
      // A file whose format changed (its package.json `type` did) is parsed again, as tsc --watch does.
      if (hit && !shouldCreateNewSourceFile && hit.impliedNodeFormat === format) return hit;
      let text: string | undefined;
      try {
        text = inMemory(fileName) ?? read(fileName);
      } catch (err) {
        onError?.((err as Error).message);
      }
      if (text === undefined) return undefined;
      const sf = ts.createSourceFile(fileName, text, languageVersionOrOptions, true);
      cache.set(key, sf);
      return sf;
    };
    return host;
  }
}
