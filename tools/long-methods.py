#!/usr/bin/env python3
"""House rules check: C# methods longer than --max-method lines (80) and files longer than --max-file lines (300).

A brace-matching heuristic, not a parser (no Roslyn needed): a member is a line that looks like a signature
(`name(`, not a control keyword) whose body `{` opens within a few lines; it counts from the signature to the
matching `}`. Strings and // comments are blanked first. Lambdas count toward the method that holds them.

usage: python3 tools/long-methods.py [--max-method 80] [--max-file 300] [PATH ...]   (default PATHs: lib tools)
Exits 1 when something is over a limit, so it can gate CI.
"""
import argparse
import pathlib
import re
import sys

CONTROL = {"if", "for", "foreach", "while", "switch", "using", "lock", "catch", "return", "new", "fixed", "else",
           "when", "nameof", "typeof", "sizeof", "default", "throw"}
SIGNATURE = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:(?:public|private|protected|internal|static|override|virtual|abstract|"
                       r"sealed|async|unsafe|extern|partial|new|readonly)\s+)*[\w<>\[\],\.\?\s\(\)]*?\b(\w+)\s*(?:<[^>]*>)?\s*\(")
TYPE_DECLARATION = re.compile(r"\b(class|record|struct|interface|enum)\b")


def blank_strings_and_comments(line):
    line = re.sub(r'@"(?:[^"]|"")*"', '""', line)
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])'", "''", line)
    return re.sub(r"//.*", "", line)


def body_end(lines, start):
    """Index of the line closing the body that opens within a few lines of `start`, or None (no body: `=> ...;`)."""
    for j in range(start, min(len(lines), start + 15)):
        if "{" in lines[j]:
            depth = 0
            for k in range(j, len(lines)):
                depth += lines[k].count("{") - lines[k].count("}")
                if depth <= 0:
                    return k
            return len(lines) - 1
        if ";" in lines[j]:
            return None
    return None


def long_methods(path, limit):
    lines = [blank_strings_and_comments(l) for l in path.read_text(encoding="utf-8").splitlines()]
    i = 0
    while i < len(lines):
        m = SIGNATURE.match(lines[i])
        attribute_only = re.fullmatch(r"\s*(?:\[.*\]\s*)+", lines[i]) is not None
        if m and not attribute_only and m.group(1) not in CONTROL and not TYPE_DECLARATION.search(lines[i]):
            end = body_end(lines, i)
            if end is not None and end - i + 1 > limit:
                yield i + 1, end - i + 1, m.group(1)
                i = end + 1
                continue
        i += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["lib", "tools"])
    parser.add_argument("--max-method", type=int, default=80)
    parser.add_argument("--max-file", type=int, default=300)
    args = parser.parse_args()
    found = 0
    for root in args.paths:
        files = [pathlib.Path(root)] if root.endswith(".cs") else sorted(pathlib.Path(root).rglob("*.cs"))
        for path in files:
            if {"bin", "obj"} & set(path.parts):
                continue
            count = len(path.read_text(encoding="utf-8").splitlines())
            if count > args.max_file:
                print(f"{path}: file has {count} lines (limit {args.max_file})")
                found += 1
            for line, length, name in long_methods(path, args.max_method):
                print(f"{path}:{line}: {name} has {length} lines (limit {args.max_method})")
                found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
