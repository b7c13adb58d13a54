// The AST both front ends (.dadf and YAML) produce. Every node carries its source range
// so that any later phase can point at the exact text a diagnostic is about.

/** 0-based offsets into the text; line and column are 1-based, as editors show them. */
export interface SourcePos {
  offset: number;
  line: number;
  column: number;
}
export interface SourceRange {
  file: string;
  start: SourcePos;
  end: SourcePos;
}

export type Value =
  | { kind: 'number'; value: number; range: SourceRange }
  | { kind: 'string'; value: string; range: SourceRange }
  | { kind: 'boolean'; value: boolean; range: SourceRange }
  | { kind: 'null'; range: SourceRange }
  /** A bare name: `bilinear`, `prior`, `conv_pw_3`. */
  | { kind: 'ident'; value: string; range: SourceRange }
  | { kind: 'list'; items: Value[]; range: SourceRange }
  /** `{ k: v, ... }`: an inline object (or a YAML mapping). */
  | { kind: 'object'; entries: Property[]; range: SourceRange }
  /** `adamw(lr: 1e-4)`, `leaky_relu(0.1)`, `env("VAR")`. */
  | { kind: 'call'; name: string; nameRange: SourceRange; args: Value[]; named: Property[]; range: SourceRange };

/** `a.b.c: value`. `key` holds the dotted path split at the dots. */
export interface Property {
  kind: 'property';
  key: string[];
  keyRange: SourceRange;
  value: Value;
  range: SourceRange;
}

/** `keyword label { ... }`, e.g. `backbone mobilenet_v1 { ... }` or `stage flow { ... }`. */
export interface Block {
  kind: 'block';
  keyword: string;
  keywordRange: SourceRange;
  label?: { value: string; range: SourceRange };
  body: Array<Property | Block>;
  range: SourceRange;
}

export interface PipelineDecl {
  kind: 'pipeline';
  name: string;
  nameRange: SourceRange;
  /** Names or relative file paths of the parents, in order. */
  extends: Array<{ value: string; range: SourceRange }>;
  body: Array<Property | Block>;
  range: SourceRange;
}

export interface PipelineFile {
  file: string;
  text: string;
  format: 'dadf' | 'yaml';
  pipelines: PipelineDecl[];
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** e.g. 'DADF1001'. */
  code: string;
  message: string;
  range: SourceRange;
  /** Extra lines: "did you mean ...", what to do. */
  hint?: string;
}
