/** Splits a byte stream into lines, keeping a partial last line until more arrives. */
export class LineSplitter {
  private partial = "";
  private readonly decoder = new TextDecoder();

  /** Feeds a chunk; returns the complete lines it finished (without line endings). */
  push(chunk: Uint8Array | string): string[] {
    const text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true }));
    const parts = text.split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    return parts;
  }

  /** The unfinished last line, if any (call when the stream ends). */
  flush(): string[] {
    const rest = this.partial + this.decoder.decode();
    this.partial = "";
    return rest === "" ? [] : [rest];
  }
}

/** The last `capacity` lines of a process's output, for error messages and failing tests. */
export class LineBuffer {
  private readonly lines: string[] = [];

  constructor(readonly capacity = 300) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError("capacity must be a positive integer");
  }

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  /** The newest `count` lines, oldest first. */
  last(count = this.capacity): string[] {
    return count <= 0 ? [] : this.lines.slice(-count);
  }

  get size(): number {
    return this.lines.length;
  }
}

/** Indents lines under a heading, for error messages: "  | line". */
export function indentLines(lines: readonly string[], prefix = "  | "): string {
  return lines.length === 0 ? `${prefix}(no output)` : lines.map((l) => `${prefix}${l}`).join("\n");
}
