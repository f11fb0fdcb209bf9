/**
 * Reads a Java `.properties` file (`promregator.properties`, which the Java version's image reads beside
 * promregator.yml) into the same flat properties as the YAML reader, each with its line. Parsing follows
 * java.util.Properties (escapes, `\uXXXX`, continuation lines, `=`/`:`/blank separators) through the
 * properties-file library; `#---` and `!---` lines separate documents as in Spring Boot 2.4+.
 */
import { Properties } from "properties-file/parser";
import { type DocumentContext, type FileProperty, mergeDocuments } from "./documents.js";

const DOCUMENT_SEPARATOR = /^[#!]---$/;

export function readPropertiesFile(
  text: string,
  fileLabel: string,
  warnings: string[],
  context: DocumentContext = {},
): Map<string, FileProperty> {
  const documents: FileProperty[][] = [[]];
  for (const node of new Properties(text).nodes) {
    if (node.type === "comment" && DOCUMENT_SEPARATOR.test(node.rawLine)) documents.push([]);
    if (node.type !== "property") continue;
    // An empty value (`key=`) counts as unset, like an empty YAML value.
    const value = node.value === "" ? null : node.value;
    documents[documents.length - 1].push({ key: node.key, value, line: node.startingLineNumber });
  }
  return mergeDocuments(documents, fileLabel, warnings, context);
}

/**
 * Spring Boot reads `.properties` files as ISO-8859-1. A file that is valid UTF-8 is read as UTF-8 instead
 * (for ASCII, the usual case, both are the same), so that a file written by today's editors keeps its
 * non-ASCII characters.
 */
export function decodePropertiesFile(bytes: Buffer): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString("latin1");
  }
}
